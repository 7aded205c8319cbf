"""Shared set-up for the benchmarks: a scratch PostgreSQL database, migrated, and Django configured."""

from __future__ import annotations

import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/skillsite_bench"


def setup_django(url: str | None = None) -> str:
    """Points Django at the benchmark database (created if missing) and migrates it."""
    url = url or os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "skillsite.settings_test")
    sys.path.insert(0, str(ROOT))
    _create_database(url)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return url


def _create_database(url: str) -> None:
    import environ
    import psycopg

    cfg = environ.Env.db_url_config(url)
    params = {"host": cfg["HOST"] or None, "port": cfg["PORT"] or None, "user": cfg["USER"] or None}
    with psycopg.connect(dbname="postgres", autocommit=True, password=cfg["PASSWORD"] or None, **params) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [cfg["NAME"]]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{cfg["NAME"]}"')


@contextmanager
def timed(results: dict, name: str, server_cpu: dict | None = None, *, append: bool = False):
    """Wall-clock seconds of the block into results[name]; with `server_cpu`, also the CPU
    seconds the database server's backend spent on it (when the server runs on this machine).
    With `append`, the values are appended to lists there instead."""
    settle()
    cpu_before = backend_cpu_seconds()
    start = time.perf_counter()
    yield
    elapsed = time.perf_counter() - start
    cpu_after = backend_cpu_seconds()
    cpu = cpu_after - cpu_before if cpu_before is not None and cpu_after is not None else None
    for into, value in ((results, elapsed), (server_cpu, cpu)):
        if into is None or value is None:
            continue
        if append:
            into.setdefault(name, []).append(value)
        else:
            into[name] = value


def settle() -> None:
    """A CHECKPOINT before each timed run, so that none pays for another's dirty pages and
    full-page WAL images (needs a superuser; skipped otherwise)."""
    from django.db import DatabaseError, connection, transaction

    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("CHECKPOINT")
    except DatabaseError:
        pass


def backend_cpu_seconds() -> float | None:
    """CPU seconds (user + system) of this connection's server process, read from /proc when
    the server is local; None otherwise."""
    from django.db import connection

    connection.ensure_connection()
    pid = connection.connection.info.backend_pid
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def truncate_telemetry() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE skills_usageevent, skills_usageeventkey, skills_usageeventpending, skills_skillmetrics, "
            "skills_sessionskill, skills_skilluserusage, skills_skilldailyusage, skills_feedback, "
            "skills_miningsession, skills_miningrun RESTART IDENTITY CASCADE"
        )


def print_table(headers: list[str], rows: list[list]) -> None:
    widths = [max(len(str(x)) for x in column) for column in zip(headers, *rows, strict=True)]
    line = "  ".join(f"{{:>{w}}}" for w in widths)
    print(line.format(*headers))
    for row in rows:
        print(line.format(*row))
