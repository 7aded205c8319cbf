"""Scheduled and on-demand jobs: each a service call, run by Celery or inline, recorded in JobRun.

`job_enqueue` queues a run on Celery (CELERY_BROKER_URL set) or runs it in the calling process
(no broker: `make run` and the admin buttons work without one). `job_run` takes the job's lock
(a second run at the same time is recorded as skipped), calls the service with a progress
reporter that publishes counts for the admin, and records status, duration and a message.
The beat schedules (django-celery-beat, editable in the admin) are made by `schedules_ensure`
after `migrate`.

What each job does is in `registry.py`, how a run goes in `runner.py`, the schedules in
`schedules.py`; the Celery tasks and `job_enqueue` are in `skills/tasks.py`. Import each name from its module: this
package re-exports nothing.
"""
