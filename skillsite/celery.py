"""The Celery app: settings from Django's (CELERY_*), tasks from each app's tasks.py.

Start a worker and one beat (schedules in the database, edited in the admin):
    celery -A skillsite worker -l info
    celery -A skillsite beat -l info
Without CELERY_BROKER_URL nothing is queued: jobs run in the process that asks for them.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "skillsite.settings")

app = Celery("skillsite")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
