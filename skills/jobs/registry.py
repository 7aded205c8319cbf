"""What each job does: a service call returning a one-line report (a failure raises)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from django.conf import settings
from django.db import connection
from django.utils import timezone

from skills.ingestion.fold import usage_rollups_fold
from skills.models import Job
from skills.progress import Progress
from skills.services.alerts import alert_staff
from skills.services.emergence import emergence_mine
from skills.services.partitions import month_start, partitions_archive, partitions_ensure
from skills.services.regressions import regressions_detect
from skills.services.rollup_check import rollups_check

NOT_POSTGRES = "nothing to do: the usage log is partitioned on PostgreSQL only"
RETENTION_OFF = "retention is off (EVENT_RETENTION_MONTHS=0): nothing archived"
ROLLUPS_DIFFER = "The roll-ups differ from a rebuild"


class JobFailed(Exception):
    """The job ran to the end and found something wrong (its run is recorded as failed)."""


def fold_rollups(progress: Progress) -> str:
    return f"{usage_rollups_fold():,} event(s) folded"


def mine(progress: Progress, *, full: bool = False) -> str:
    report = emergence_mine(full=full, progress=progress)
    kind = "full" if report.full else "incremental"
    return f"{kind} run: {report.sessions:,} session(s) mined, {report.candidates:,} candidate(s) updated"


def ensure_partitions(progress: Progress) -> str:
    if connection.vendor != "postgresql":
        return NOT_POSTGRES
    created = partitions_ensure(today=timezone.now().date(), months_ahead=settings.PARTITIONS_AHEAD_MONTHS)
    return f"partitions created: {', '.join(created) or 'none (all present)'}"


def archive_partitions(progress: Progress) -> str:
    if connection.vendor != "postgresql":
        return NOT_POSTGRES
    if not settings.EVENT_RETENTION_MONTHS:
        return RETENTION_OFF
    before: date = month_start(timezone.now().date(), -settings.EVENT_RETENTION_MONTHS)
    report = partitions_archive(before=before, progress=progress)
    return (
        f"archived before {before:%Y-%m}: {len(report.partitions)} partition(s), {report.archived:,} event(s); "
        f"live {report.live:,} + archived {report.archived:,} = {report.before:,}"
    )


def detect_regressions(progress: Progress) -> str:
    return regressions_detect().summary()


def check_rollups(progress: Progress) -> str:
    report = rollups_check(sample=settings.ROLLUP_CHECK_SAMPLE_SKILLS, progress=progress)
    if report.differences:
        alert_staff(ROLLUPS_DIFFER, report.summary())
        raise JobFailed(report.summary())
    return report.summary()


JOBS: dict[str, Callable[[Progress], str]] = {
    Job.FOLD_ROLLUPS: fold_rollups,
    Job.MINE_EMERGENCE: mine,
    Job.MINE_EMERGENCE_FULL: lambda progress: mine(progress, full=True),
    Job.ENSURE_PARTITIONS: ensure_partitions,
    Job.ARCHIVE_PARTITIONS: archive_partitions,
    Job.DETECT_REGRESSIONS: detect_regressions,
    Job.CHECK_ROLLUPS: check_rollups,
}
# Jobs that must not run at the same time share a lock (both mining runs replace MiningSession rows;
# both partition jobs change the log's partitions).
LOCKS: dict[str, str] = {
    Job.MINE_EMERGENCE_FULL: Job.MINE_EMERGENCE,
    Job.ARCHIVE_PARTITIONS: Job.ENSURE_PARTITIONS,
}
