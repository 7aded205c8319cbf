"""Scheduled and on-demand jobs: each a service call, run by Celery or inline, recorded in JobRun.

`job_enqueue` queues a run on Celery (CELERY_BROKER_URL set) or runs it in the calling process
(no broker: `make run` and the admin buttons work without one). `job_run` takes the job's lock
(a second run at the same time is recorded as skipped), calls the service with a progress
reporter that publishes counts for the admin, and records status, duration and a message.
The beat schedules (django-celery-beat, editable in the admin) are made by `schedules_ensure`
after `migrate`.
"""

from .registry import JOBS
from .runner import job_enqueue, job_run, run_progress
from .schedules import schedules_ensure

__all__ = ["JOBS", "job_enqueue", "job_run", "run_progress", "schedules_ensure"]
