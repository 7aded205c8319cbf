"""Reads from a streaming replica: the analytics come from it once it has caught up, reads inside a
transaction stay on the primary, and a replica that cannot be reached falls back to the primary
with a warning. Makes its own primary and replica clusters (initdb, then pg_basebackup -R) in a
temporary folder on spare ports; the scenario runs in a process of its own with
DATABASE_URL and DATABASE_REPLICA_URL set (tests/replica_scenario.py)."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import psycopg
import pytest

from tests.pg_cluster import PG_BIN, Cluster, spare_port

ROOT = Path(__file__).resolve().parent.parent
DATABASE = "replica_test"


def run(args: list[str], env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.slow
@pytest.mark.postgres
def test_analytics_reads_come_from_the_replica_and_fall_back_to_the_primary():
    if os.geteuid() != 0 or not (PG_BIN / "pg_basebackup").exists():
        pytest.fail(f"this test runs its own PostgreSQL clusters: it needs root (for runuser) and {PG_BIN}")
    folder = Path(tempfile.mkdtemp(prefix="skillsite-replica-"))
    folder.chmod(0o755)
    primary = Cluster(folder / "primary", spare_port()).init()
    replica = Cluster(folder / "replica", spare_port())
    started = []
    try:
        primary.start()
        started.append(primary)
        with psycopg.connect(f"host=127.0.0.1 port={primary.port} user=postgres dbname=postgres", autocommit=True) as c:
            c.execute(f"CREATE DATABASE {DATABASE}")
        replica.init_as_standby_of(primary).start()
        started.append(replica)
        env = {
            **os.environ, "DATABASE_URL": primary.url(DATABASE), "DATABASE_REPLICA_URL": replica.url(DATABASE),
            "DJANGO_SETTINGS_MODULE": "skillsite.settings", "SECRET_KEY": "replica-test-secret-0123456789abcdefghij",
            "SECURE_SSL_REDIRECT": "false", "DEBUG": "false", "LOG_LEVEL": "WARNING", "CELERY_BROKER_URL": "",
            "REPLICA_LAG_WARN_SECONDS": "0",  # any lag at all makes /readyz unready
        }  # fmt: skip
        migrate = run(["manage.py", "migrate", "-v0"], env)
        assert migrate.returncode == 0, migrate.stderr
        scenario = run(["tests/replica_scenario.py", "read"], env)
        assert scenario.returncode == 0, scenario.stderr
        seen = json.loads(scenario.stdout.splitlines()[-1])
        # The replica stopped replaying after the first 40 events: the API's figures are its.
        assert seen["primary_total"] == 65
        assert seen["api_total"] == 40 and seen["api_queries_on_replica"] > 0
        assert seen["event_list_size"] == 40 and seen["event_list_queries_on_replica"] > 0
        assert seen["in_transaction_total"] == 65
        assert seen["api_total_after_catching_up"] == 65
        assert seen["readyz_while_paused"] == [503, "lagging"]
        assert seen["readyz_caught_up"] == [200, "ok"]
        replica.stop()
        started.remove(replica)
        down = run(["tests/replica_scenario.py", "fallback"], env)
        assert down.returncode == 0, down.stderr
        # An unreachable replica sends reads to the primary: no reason to leave the rotation.
        assert json.loads(down.stdout.splitlines()[-1]) == {
            "api_total": 65,
            "readyz": [200, "unreachable, reads go to the primary"],
        }
        assert "replica database unreachable, reading from the primary" in down.stderr
    finally:
        for cluster in reversed(started):
            cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)
