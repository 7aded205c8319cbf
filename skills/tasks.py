"""Celery tasks (found by the app's autodiscovery): one a job, each a call of `job_run`.

Beat sends them with no argument (a new run is recorded); `job_enqueue` sends the id of the
run it queued. A queued run is taken once: a redelivered message finds it no longer queued.
"""

from __future__ import annotations

from celery import shared_task

from skills.jobs.runner import job_run
from skills.models import Job, JobRun, RunStatus, Trigger

ALREADY_TAKEN = "run {run_id} is not queued any more (taken by another delivery): nothing done"


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
