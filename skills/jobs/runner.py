"""Running a job in this process: its lock, its JobRun row, its progress. Queuing one on Celery is
`skills.tasks.job_enqueue`, which sends a task that calls `job_run`."""

from __future__ import annotations

import logging
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager

from django.core.cache import cache
from django.db import DatabaseError, connection
from django.utils import timezone

from skillsite.metrics import JOB_RUNS

from ..models import RUN_TRANSITIONS, JobRun, RunStatus, Trigger
from ..progress import NO_PROGRESS, Progress
from .registry import JOBS, LOCKS

logger = logging.getLogger("skills.jobs")

ALREADY_RUNNING = "another run of this job was in progress: nothing done"
ILLEGAL_RUN_TRANSITION = "run {run} cannot go from {current} to {target}"
WORKER_LOST = "its worker stopped before the run finished (found by run {run}, which took the job's lock)"
PROGRESS_KEY = "skills:jobrun:{id}:progress"
PROGRESS_TTL = 24 * 3600
# Older runs of a job beyond this many are deleted as each run ends (the fold runs every few seconds).
RUNS_KEPT = 500


class RunProgress(Progress):
    """Publishes a run's counts in the cache, where the admin reads them: the job's own writes may
    sit in a transaction the admin cannot see until it commits. At most one write per interval.
    A command's run also shows them to `watcher` (its terminal)."""

    def __init__(self, run_id: int, interval: float = 0.5, watcher: Progress = NO_PROGRESS) -> None:
        self.key, self.interval, self.watcher = PROGRESS_KEY.format(id=run_id), interval, watcher
        self.done, self.total, self.last = 0, None, float("-inf")

    def start(self, total: int | None, label: str = "") -> None:
        self.done, self.total = 0, total
        self._publish()
        self.watcher.start(total, label)

    def advance(self, n: int = 1) -> None:
        self.done += n
        if time.monotonic() - self.last >= self.interval:
            self._publish()
        self.watcher.advance(n)

    def finish(self) -> None:
        self._publish()
        self.watcher.finish()

    def _publish(self) -> None:
        self.last = time.monotonic()
        cache.set(self.key, (self.done, self.total), PROGRESS_TTL)


def run_progress(run: JobRun) -> tuple[int, int | None]:
    """(done, total) of a run: published counts while it runs, the stored ones once it is over."""
    if run.status == RunStatus.RUNNING:
        published = cache.get(PROGRESS_KEY.format(id=run.pk))
        if published:
            return published
    return run.progress_done, run.progress_total


@contextmanager
def job_lock(name: str) -> Iterator[bool]:
    """True when this process holds the job's lock (a PostgreSQL session advisory lock: released
    at the end, or by the server if the worker dies). SQLite lets one writer at a time and every
    job is idempotent, so there a second run waits for the first, then finds little to do."""
    if connection.vendor != "postgresql":
        yield True
        return
    key = zlib.crc32(f"skillsite.job.{name}".encode())
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
        acquired = cursor.fetchone()[0]
    try:
        yield acquired
    finally:
        if acquired:
            try:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
            except DatabaseError:
                pass  # the connection is gone, and its lock with it


def _move(run: JobRun, target: str, **fields) -> JobRun:
    if target not in RUN_TRANSITIONS[run.status]:
        raise ValueError(ILLEGAL_RUN_TRANSITION.format(run=run.pk, current=run.status, target=target))
    run.status = target
    for name, value in fields.items():
        setattr(run, name, value)
    run.save(update_fields=["status", *fields])
    return run


def run_finish(run: JobRun, status: str, message: str, progress: RunProgress | None = None) -> JobRun:
    """Records the run's end (status, duration, message, last counts) and prunes the job's old runs."""
    now = timezone.now()
    started = run.started_at or now
    fields = {"finished_at": now, "duration_seconds": (now - started).total_seconds(), "message": message}
    if progress is not None:
        fields.update(progress_done=progress.done, progress_total=progress.total)
        cache.delete(progress.key)
    _move(run, status, **fields)
    _prune(run.job)
    JOB_RUNS.labels(run.job, status).inc()
    logger.info("job %s (run %s) %s in %.2f s: %s", run.job, run.pk, status, fields["duration_seconds"], message)
    return run


def _prune(job: str) -> None:
    oldest_kept = JobRun.objects.filter(job=job).order_by("-id").values_list("id", flat=True)[RUNS_KEPT - 1 : RUNS_KEPT]
    if oldest_kept:
        JobRun.objects.filter(job=job, id__lt=oldest_kept[0]).exclude(status=RunStatus.RUNNING).delete()


def job_run(
    job: str,
    *,
    run: JobRun | None = None,
    trigger: str = Trigger.SCHEDULE,
    task_id: str = "",
    options: dict | None = None,
    watcher: Progress = NO_PROGRESS,
) -> JobRun:
    """Runs the job now, in this process, and records it (in `run` when one was queued). A command
    passes its `options` (the job's keyword arguments) and its terminal as the `watcher` of progress."""
    if run is None:
        run = JobRun.objects.create(job=job, trigger=trigger, task_id=task_id, queued_at=timezone.now())
    with job_lock(LOCKS.get(job, job)) as acquired:
        if not acquired:
            return run_finish(run, RunStatus.SKIPPED, ALREADY_RUNNING)
        _fail_runs_of_lost_workers(LOCKS.get(job, job), found_by=run)
        _move(run, RunStatus.RUNNING, started_at=timezone.now())
        logger.info("job %s (run %s) started", job, run.pk)
        progress = RunProgress(run.pk, watcher=watcher)
        try:
            message = JOBS[job](progress, **(options or {}))
        except Exception as error:  # recorded on the run: the admin shows why
            logger.exception("job %s (run %s) failed", job, run.pk)
            return run_finish(run, RunStatus.FAILED, f"{type(error).__name__}: {error}", progress)
        return run_finish(run, RunStatus.SUCCEEDED, message, progress)


def _fail_runs_of_lost_workers(lock: str, *, found_by: JobRun) -> None:
    """Runs still marked running under a lock this process has just taken: on PostgreSQL the lock
    is held for as long as a run's worker lives, so their workers died (killed, out of memory)
    without recording an end. (SQLite has no such lock: there nothing can be told.)"""
    if connection.vendor != "postgresql":
        return
    sharing = [name for name in JOBS if LOCKS.get(name, name) == lock]
    for lost in JobRun.objects.filter(job__in=sharing, status=RunStatus.RUNNING).exclude(pk=found_by.pk):
        logger.warning("job %s: run %s was left running by a lost worker", lost.job, lost.pk)
        run_finish(lost, RunStatus.FAILED, WORKER_LOST.format(run=found_by.pk))
