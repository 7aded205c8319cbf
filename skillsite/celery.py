"""The Celery app: settings from Django's (CELERY_*), tasks from each app's tasks.py.

Start a worker and one beat (schedules in the database, edited in the admin):
    celery -A skillsite worker -l info
    celery -A skillsite beat -l info
Without CELERY_BROKER_URL nothing is queued: jobs run in the process that asks for them.
With METRICS_EXPORTER_PORT set, a worker serves its host's Prometheus metrics there (job runs).
"""

import os

from celery import Celery, signals

from skillsite.metrics_exporter import exporter_start

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "skillsite.settings")

app = Celery("skillsite")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.worker_init.connect
def metrics_exporter_start(**kwargs) -> None:
    exporter_start()  # in the worker's main process; its pool's processes share PROMETHEUS_MULTIPROC_DIR
