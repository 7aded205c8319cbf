"""The Celery app: settings from Django's (CELERY_*), tasks from each app's tasks.py.

Start a worker and one beat (schedules in the database, edited in the admin):
    celery -A skillsite worker -l info
    celery -A skillsite beat -l info
Without CELERY_BROKER_URL nothing is queued: jobs run in the process that asks for them.
With METRICS_EXPORTER_PORT set, a worker serves its host's Prometheus metrics there (job runs).
A task queued while a request runs carries the request's id (a message header), and the worker's
log lines while it runs carry it too (skillsite/request_id.py).
"""

import os

from celery import Celery, signals

from skillsite.metrics_exporter import exporter_start
from skillsite.request_id import CELERY_HEADER, current_request_id, request_id_reset, request_id_set

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "skillsite.settings")

app = Celery("skillsite")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.worker_init.connect
def metrics_exporter_start(**kwargs) -> None:
    exporter_start()  # in the worker's main process; its pool's processes share PROMETHEUS_MULTIPROC_DIR


@signals.before_task_publish.connect
def request_id_carry(headers: dict | None = None, **kwargs) -> None:
    if headers is not None and current_request_id():
        headers.setdefault(CELERY_HEADER, current_request_id())


@signals.task_prerun.connect
def request_id_enter(task=None, **kwargs) -> None:
    task.request.request_id_token = request_id_set(getattr(task.request, CELERY_HEADER, None) or "")


@signals.task_postrun.connect
def request_id_leave(task=None, **kwargs) -> None:
    token = getattr(task.request, "request_id_token", None)
    if token is not None:
        request_id_reset(token)
