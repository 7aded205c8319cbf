"""Readiness: what a load balancer or an orchestrator asks every second before sending traffic.

`readiness()` checks the database (reachable, every migration on disk applied), the broker when
CELERY_BROKER_URL is set, and the replica's lag when DATABASE_REPLICA_URL is set. Each check
answers one word (`ok` or what is wrong), never an error message: the endpoint is unauthenticated,
and an exception's text can name hosts, users or paths.

A replica that cannot be reached leaves the process ready (its reads go to the primary,
skillsite/routers.py); one that answers but lags beyond REPLICA_LAG_WARN_SECONDS does not, since
the pages reading it would show stale figures.
"""

from __future__ import annotations

import functools
import logging

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.migrations.loader import MigrationLoader
from kombu import Connection

from skills.selectors.database_health import REPLICA_LAG_SQL
from skillsite.routers import REPLICA, replica_available

OK = "ok"
UNREACHABLE = "unreachable"
NOT_MIGRATED = "not migrated"
LAGGING = "lagging"
FALLBACK_TO_PRIMARY = "unreachable, reads go to the primary"
BROKER_TIMEOUT_SECONDS = 1.0
logger = logging.getLogger("skillsite.health")


def readiness() -> tuple[bool, dict[str, str]]:
    """(ready, {check: word}); the broker and the replica are checked only when configured."""
    checks = {"database": database_check()}
    if settings.CELERY_BROKER_URL:
        checks["broker"] = broker_check(settings.CELERY_BROKER_URL)
    if REPLICA in settings.DATABASES:
        checks["replica"] = replica_check()
    ready = all(word in (OK, FALLBACK_TO_PRIMARY) for word in checks.values())
    return ready, checks


@functools.cache
def migrations_on_disk() -> frozenset[tuple[str, str]]:
    """The last migration of each app, as the code on disk defines them (read once a process)."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    return frozenset(loader.graph.leaf_nodes())


def database_check() -> str:
    expected = migrations_on_disk()
    names = sorted({name for _app, name in expected})
    try:
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            placeholders = ", ".join(["%s"] * len(names))
            cursor.execute(f"SELECT app, name FROM django_migrations WHERE name IN ({placeholders})", names)
            applied = set(cursor.fetchall())
    except DatabaseError as error:
        logger.warning("readiness: the database check failed: %s", error)
        return UNREACHABLE
    return OK if expected <= applied else NOT_MIGRATED


def broker_check(url: str) -> str:
    try:
        with Connection(url, connect_timeout=BROKER_TIMEOUT_SECONDS) as broker:
            broker.ensure_connection(max_retries=1, interval_start=0, timeout=BROKER_TIMEOUT_SECONDS)
    except Exception as error:  # kombu's connection errors vary by transport
        logger.warning("readiness: the broker check failed: %s", error)
        return UNREACHABLE
    return OK


def replica_check() -> str:
    if not replica_available():
        return FALLBACK_TO_PRIMARY
    try:
        with connections[REPLICA].cursor() as cursor:
            cursor.execute(REPLICA_LAG_SQL)
            _in_recovery, lag = cursor.fetchone()
    except DatabaseError as error:
        logger.warning("readiness: the replica check failed: %s", error)
        return FALLBACK_TO_PRIMARY
    return LAGGING if lag is not None and float(lag) > settings.REPLICA_LAG_WARN_SECONDS else OK
