"""PostgreSQL restarted under load: 503 while it is down, then back, no event lost or doubled.

Runs its own PostgreSQL cluster (initdb in a temporary folder, on a spare port) so that
restarting it does not disturb the test database, and the site under gunicorn against it.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import psycopg
import pytest

from tests.pg_cluster import PG_BIN, Cluster, spare_port
from tests.skills.telemetry_helpers import event_payload

ROOT = Path(__file__).resolve().parent.parent
PG_PORT, WEB_PORT = spare_port(), spare_port()  # spare: other suites may run on this machine at once
DB_URL = f"postgres://postgres@127.0.0.1:{PG_PORT}/restart_test"
SECRET = "restart-test-secret-0123456789-abcdefghijklmnopqrstuvwxyz"


def server_env() -> dict:
    return {
        **os.environ,
        "DATABASE_URL": DB_URL,
        "DJANGO_SETTINGS_MODULE": "skillsite.settings",
        "SECRET_KEY": SECRET,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "DEBUG": "false",
    }


def post(path: str, body, token: str) -> int:
    request = urllib.request.Request(
        f"http://127.0.0.1:{WEB_PORT}{path}",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Token {token}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return 0


def make_token() -> str:
    script = (
        "from django.contrib.auth import get_user_model; from accounts.services import api_key_create; "
        "from django.contrib.auth.models import Permission; "
        "u, _ = get_user_model().objects.get_or_create(username='agent'); "
        "u.user_permissions.add(Permission.objects.get(content_type__app_label='skills', codename='register_skills')); "
        "print(api_key_create(user=u, name='restart test', scope='ingest')[1])"
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script],
        cwd=ROOT,
        env=server_env(),
        check=True,
        capture_output=True,
    )
    return result.stdout.decode().strip().splitlines()[-1]


@pytest.mark.slow
@pytest.mark.postgres
def test_requests_get_503_while_postgres_is_down_and_no_event_is_lost_or_doubled():
    if os.geteuid() != 0 or not (PG_BIN / "initdb").exists():
        pytest.fail(f"this test runs its own PostgreSQL cluster: it needs root (for runuser) and {PG_BIN}/initdb")
    # Not under pytest's root-only temporary folder: the postgres user must reach it.
    folder = Path(tempfile.mkdtemp(prefix="skillsite-restart-"))
    folder.chmod(0o755)
    cluster = Cluster(folder / "cluster", PG_PORT).init()
    cluster.start()
    server = None
    try:
        with psycopg.connect(f"host=127.0.0.1 port={PG_PORT} user=postgres dbname=postgres", autocommit=True) as c:
            c.execute("CREATE DATABASE restart_test")
        subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=server_env(), check=True)
        token = make_token()
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "skillsite.wsgi", "-b", f"127.0.0.1:{WEB_PORT}", "-w", "2"],
            cwd=ROOT,
            env=server_env(),
            stderr=subprocess.DEVNULL,
        )
        acknowledged, statuses_while_down = send_through_a_restart(cluster, token)
        assert statuses_while_down and set(statuses_while_down) == {503}
        # The roll-ups trail the log by up to a fold interval: fold what is queued, then count.
        subprocess.run([sys.executable, "manage.py", "fold_usage"], cwd=ROOT, env=server_env(), check=True)
        with psycopg.connect(f"host=127.0.0.1 port={PG_PORT} user=postgres dbname=restart_test") as c:
            stored = [row[0] for row in c.execute("SELECT event_id FROM skills_usageevent")]
            counted = c.execute("SELECT COALESCE(SUM(total_invocations), 0) FROM skills_skillmetrics").fetchone()[0]
        assert len(stored) == len(set(stored)) == len(acknowledged)
        assert {str(e) for e in stored} == acknowledged
        assert counted == len(acknowledged)
    finally:
        if server:
            server.terminate()
            server.wait(timeout=20)
        cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)


def send_through_a_restart(cluster: Cluster, token: str) -> tuple[set[str], list[int]]:
    """Posts 60 events, one at a time, retrying each until acknowledged; PostgreSQL is stopped
    after the 20th and started again a few failed requests later."""
    acknowledged, statuses_while_down = set(), []
    deadline = time.monotonic() + 120
    for n in range(60):
        event = event_payload(n, event_id=str(uuid.uuid4()))
        if n == 20:
            cluster.stop()
            for _ in range(3):
                statuses_while_down.append(post("/api/events/", event, token))
            cluster.start()
        while time.monotonic() < deadline:
            status = post("/api/events/", event, token)
            if status in (200, 201):
                acknowledged.add(event["event_id"])
                break
            assert status in (0, 503), status
            time.sleep(0.2)
    return acknowledged, statuses_while_down
