"""What each job does: a service call returning a one-line report (a failure raises). The scheduler
and the admin run a job with its defaults (the settings), a command with its own options."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import partial

from django.conf import settings
from django.db import connection
from django.utils import timezone

from skills.ingestion.fold import usage_rollups_fold
from skills.intake.join import skill_uses_release_due
from skills.models import Job
from skills.progress import Progress
from skills.services.alerts import alert_staff
from skills.services.emergence import emergence_mine
from skills.services.experiments import experiments_snapshot_running
from skills.services.partitions import NOT_POSTGRES, month_start, partitions_archive, partitions_ensure
from skills.services.regressions import regressions_detect
from skills.services.rollup_check import rollups_check

RETENTION_OFF = "retention is off (EVENT_RETENTION_MONTHS=0): nothing archived"
ROLLUPS_DIFFER = "The roll-ups differ from a rebuild"


class JobFailed(Exception):
    """The job ran to the end and found something wrong (its run is recorded as failed)."""


def fold_rollups(progress: Progress) -> str:
    # Skill uses whose signals stopped coming enter the log first, to be folded with the rest.
    settled = skill_uses_release_due()
    released = (
        f"{settled.created + settled.held:,} settled skill use(s) recorded; " if settled.created + settled.held else ""
    )
    return f"{released}{usage_rollups_fold():,} event(s) folded"


def mine(progress: Progress, *, full: bool = False) -> str:
    report = emergence_mine(full=full, progress=progress)
    kind = "full" if report.full else "incremental"
    return f"{kind} run: {report.sessions:,} session(s) mined, {report.candidates:,} candidate(s) updated"


def ensure_partitions(progress: Progress, *, months_ahead: int | None = None) -> str:
    if connection.vendor != "postgresql":
        return NOT_POSTGRES
    ahead = settings.PARTITIONS_AHEAD_MONTHS if months_ahead is None else months_ahead
    created = partitions_ensure(today=timezone.now().date(), months_ahead=ahead)
    return f"partitions created: {', '.join(created) or 'none (all present)'}"


def archive_partitions(progress: Progress, *, before: date | None = None) -> str:
    """Archives the partitions past retention, or those before the month `before` (a command's)."""
    if connection.vendor != "postgresql":
        return NOT_POSTGRES
    if before is None and not settings.EVENT_RETENTION_MONTHS:
        return RETENTION_OFF
    before = before or month_start(timezone.now().date(), -settings.EVENT_RETENTION_MONTHS)
    report = partitions_archive(before=before, progress=progress)
    return (
        f"archived before {before:%Y-%m}: {len(report.partitions)} partition(s) "
        f"({', '.join(report.partitions) or '-'}), {report.archived:,} event(s); "
        f"live {report.live:,} + archived {report.archived:,} = {report.before:,}"
    )


def detect_regressions(progress: Progress) -> str:
    return regressions_detect().summary()


def check_rollups(progress: Progress, *, sample: int | None = None, seed: int | None = None) -> str:
    sample = settings.ROLLUP_CHECK_SAMPLE_SKILLS if sample is None else sample
    report = rollups_check(sample=sample, seed=seed, progress=progress)
    if report.differences:
        alert_staff(ROLLUPS_DIFFER, report.summary())
        raise JobFailed(report.summary())
    return report.summary()


def snapshot_experiments(progress: Progress) -> str:
    return f"{experiments_snapshot_running():,} running experiment(s) snapshot"


# What a job's progress bar counts (its service's progress.start label), so the bar names its unit:
# a re-mine reads events and reports sessions, and "1,765/1,765" beside "1,080 sessions" misled.
PROGRESS_UNITS: dict[str, str] = {
    Job.MINE_EMERGENCE: "events read",
    Job.MINE_EMERGENCE_FULL: "events read",
    Job.ARCHIVE_PARTITIONS: "partitions",
    Job.CHECK_ROLLUPS: "steps",
}

# Each is called with its run's progress and, from a command, the command's options as keywords.
JOBS: dict[str, Callable[..., str]] = {
    Job.FOLD_ROLLUPS: fold_rollups,
    Job.MINE_EMERGENCE: mine,
    Job.MINE_EMERGENCE_FULL: partial(mine, full=True),
    Job.ENSURE_PARTITIONS: ensure_partitions,
    Job.ARCHIVE_PARTITIONS: archive_partitions,
    Job.DETECT_REGRESSIONS: detect_regressions,
    Job.CHECK_ROLLUPS: check_rollups,
    Job.SNAPSHOT_EXPERIMENTS: snapshot_experiments,
}
# Jobs that must not run at the same time share a lock (both mining runs replace MiningSession rows;
# both partition jobs change the log's partitions).
LOCKS: dict[str, str] = {
    Job.MINE_EMERGENCE_FULL: Job.MINE_EMERGENCE,
    Job.ARCHIVE_PARTITIONS: Job.ENSURE_PARTITIONS,
}
