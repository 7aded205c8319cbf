"""The default beat schedules, made after `migrate` and then the admin's to edit."""

from __future__ import annotations

import json

from django.db import DEFAULT_DB_ALIAS, connections
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

from skills.models import Job

# (name, job, every N seconds | crontab fields). Times are UTC (CELERY_TIMEZONE).
DEFAULT_SCHEDULES: list[tuple[str, str, int | dict]] = [
    ("skills: fold queued events into the roll-ups", Job.FOLD_ROLLUPS, 5),
    ("skills: mine new sessions", Job.MINE_EMERGENCE, 600),
    ("skills: detect version regressions", Job.DETECT_REGRESSIONS, 3600),
    ("skills: snapshot running experiments", Job.SNAPSHOT_EXPERIMENTS, 300),
    ("skills: create the coming months' partitions", Job.ENSURE_PARTITIONS, {"minute": "10", "hour": "2"}),
    ("skills: archive partitions past retention", Job.ARCHIVE_PARTITIONS, {"minute": "40", "hour": "2"}),
    ("skills: check the roll-ups against a rebuild", Job.CHECK_ROLLUPS, {"minute": "30", "hour": "3"}),
]


def schedules_ensure(*, using: str = DEFAULT_DB_ALIAS) -> list[str]:
    """Creates the default schedules that are missing, by name; returns their names. A schedule an
    admin changed or disabled is left as it is; one deleted comes back at the next migrate."""
    if PeriodicTask._meta.db_table not in connections[using].introspection.table_names():
        return []  # django_celery_beat not migrated on this database
    existing = set(PeriodicTask.objects.using(using).values_list("name", flat=True))
    created = []
    for name, job, when in DEFAULT_SCHEDULES:
        if name in existing:
            continue
        task = PeriodicTask(name=name, task=f"skills.{job}", kwargs=json.dumps({}), description=Job(job).label)
        if isinstance(when, int):
            task.interval, _ = IntervalSchedule.objects.using(using).get_or_create(
                every=when, period=IntervalSchedule.SECONDS
            )
        else:
            task.crontab, _ = CrontabSchedule.objects.using(using).get_or_create(
                day_of_week="*", day_of_month="*", month_of_year="*", timezone="UTC", **when
            )
        task.save(using=using)
        created.append(name)
    return created
