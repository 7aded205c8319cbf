"""Reads that may go to a streaming replica (DATABASE_REPLICA_URL), everything else to the primary.

Code that reads analytics — the analytics endpoints, the dashboard, the event list, the health
page's size queries — runs inside `replica_reads()`; the router then sends its reads to the
`replica` alias, unless a transaction is open on the primary (its reads must see its own
writes) or the replica cannot be reached: then the primary serves them and a warning is logged
(and the replica is not tried again for REPLICA_RETRY_SECONDS). Writes always go to the primary,
and only the primary is migrated. Without DATABASE_REPLICA_URL there is no `replica` alias and
nothing changes.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

REPLICA = "replica"
UNREACHABLE = "replica database unreachable, reading from the primary for %.0f s: %s"
logger = logging.getLogger("skillsite.routers")

_wanted: ContextVar[bool] = ContextVar("replica_reads", default=False)
_down_until = 0.0  # time.monotonic() before which the replica is not tried again


@contextmanager
def replica_reads() -> Iterator[None]:
    """Reads inside this block go to the replica when there is one (see the module)."""
    token = _wanted.set(True)
    try:
        yield
    finally:
        _wanted.reset(token)


def replica_available() -> bool:
    """Whether a replica is configured and can be reached now (connects when needed)."""
    global _down_until
    if REPLICA not in settings.DATABASES or time.monotonic() < _down_until:
        return False
    try:
        connections[REPLICA].ensure_connection()
    except DatabaseError as error:
        _down_until = time.monotonic() + settings.REPLICA_RETRY_SECONDS
        logger.warning(UNREACHABLE, settings.REPLICA_RETRY_SECONDS, error)
        return False
    return True


def read_alias() -> str:
    """Where a read of analytics goes now: the replica, or the primary (see the module)."""
    if _wanted.get() and not connections[DEFAULT_DB_ALIAS].in_atomic_block and replica_available():
        return REPLICA
    return DEFAULT_DB_ALIAS


class ReplicaRouter:
    def db_for_read(self, model, **hints) -> str:
        return read_alias()

    def db_for_write(self, model, **hints) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints) -> bool:
        return True  # one database, two copies of it

    def allow_migrate(self, db: str, app_label: str, model_name=None, **hints) -> bool:
        return db == DEFAULT_DB_ALIAS
