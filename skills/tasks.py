"""Celery tasks (found by the app's autodiscovery): one a job, each a call of `job_run`, and
`job_enqueue`, which queues one.

Beat sends them with no argument (a new run is recorded); `job_enqueue` sends the id of the
run it queued. A queued run is taken once: a redelivered message finds it no longer queued.
"""

from __future__ import annotations

import logging
import uuid

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from skills.jobs.runner import job_run, run_finish
from skills.models import Job, JobRun, RunStatus, Trigger

logger = logging.getLogger("skills.jobs")

ALREADY_TAKEN = "run {run_id} is not queued any more (taken by another delivery): nothing done"
BROKER_DOWN = "could not queue the job on the broker ({error}); run it with its command instead"


def _define(job: str):
    @shared_task(name=f"skills.{job}", bind=True, ignore_result=True)
    def task(self, run_id: int | None = None) -> str:
        task_id = self.request.id or ""
        if run_id is None:
            return job_run(job, trigger=Trigger.SCHEDULE, task_id=task_id).status
        run = JobRun.objects.filter(pk=run_id, status=RunStatus.QUEUED).first()
        if run is None:
            return ALREADY_TAKEN.format(run_id=run_id)
        return job_run(job, run=run).status

    return task


TASKS = {job: _define(job) for job in Job.values}


def job_enqueue(job: str, *, trigger: str = Trigger.ADMIN, requested_by=None) -> JobRun:
    """Queues the job on Celery, or runs it here when no broker is configured (CELERY_BROKER_URL)."""
    broker = bool(settings.CELERY_BROKER_URL)
    run = JobRun.objects.create(
        job=job, trigger=trigger, requested_by=requested_by, queued_at=timezone.now(),
        task_id=str(uuid.uuid4()) if broker else "",
    )  # fmt: skip
    if not broker:
        return job_run(job, run=run)
    try:
        TASKS[job].apply_async(kwargs={"run_id": run.pk}, task_id=run.task_id)
    except Exception as error:  # kombu's connection errors vary by transport
        logger.error("job %s could not be queued: %s", job, error)
        return run_finish(run, RunStatus.FAILED, BROKER_DOWN.format(error=error))
    return run
