"""Backup and restore (PostgreSQL): the README's pg_dump / pg_restore commands round-trip the data."""

import shutil
import subprocess

import psycopg
import pytest
from django.db import connection

from skills.ingestion.record import usage_events_record
from skills.services.metrics import feedback_record
from tests.factories import UserFactory
from tests.skills.telemetry_helpers import event_payload

COUNTED_TABLES = ["skills_skill", "skills_usageevent", "skills_skillmetrics", "skills_sessionskill", "auth_user"]
METRICS_SQL = (
    "SELECT skill_id, total_invocations, completed_count, duration_sum_ms, p95_ms, unique_users, avg_rating, "
    "effectiveness_score, latency_sketch::text FROM skills_skillmetrics ORDER BY skill_id"
)


def libpq_args(settings: dict) -> list[str]:
    args = ["-h", settings["HOST"] or "127.0.0.1", "-U", settings["USER"] or "postgres"]
    return args + (["-p", str(settings["PORT"])] if settings["PORT"] else [])


def snapshot(dbname: str, settings: dict) -> dict:
    with psycopg.connect(
        host=settings["HOST"] or None, port=settings["PORT"] or None, user=settings["USER"] or None, dbname=dbname
    ) as conn:
        counts = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in COUNTED_TABLES}
        return {"counts": counts, "metrics": conn.execute(METRICS_SQL).fetchall()}


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_dump_restored_into_an_empty_database_has_identical_counts_and_metrics(tmp_path):
    if not shutil.which("pg_dump"):
        pytest.fail("pg_dump is not installed (Debian package postgresql-client)")
    user = UserFactory()
    for start in range(0, 300, 100):
        usage_events_record(events=[event_payload(n) for n in range(start, start + 100)], user=user, registers=True)
    feedback_record(user=user, skill_id="skill-1", rating=5)

    settings = connection.settings_dict
    source, target = settings["NAME"], f"{settings['NAME']}_restore"
    dump = tmp_path / "skillsite.dump"
    subprocess.run(["pg_dump", *libpq_args(settings), "-Fc", "-f", str(dump), source], check=True)
    subprocess.run(["dropdb", *libpq_args(settings), "--if-exists", target], check=True)
    subprocess.run(["createdb", *libpq_args(settings), target], check=True)
    try:
        subprocess.run(["pg_restore", *libpq_args(settings), "--no-owner", "-d", target, str(dump)], check=True)
        assert snapshot(target, settings) == snapshot(source, settings)
        assert snapshot(target, settings)["counts"]["skills_usageevent"] == 300
    finally:
        subprocess.run(["dropdb", *libpq_args(settings), "--if-exists", target], check=True)
