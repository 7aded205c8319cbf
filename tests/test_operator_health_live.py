"""/readyz against a real PostgreSQL that is stopped and started again, the site under gunicorn:
unready (503, Retry-After) while the database is down, ready again once it is back, and /healthz
answering all along. Runs its own cluster (initdb in a temporary folder, on a spare port)."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import psycopg
import pytest

from tests.pg_cluster import PG_BIN, Cluster, spare_port

ROOT = Path(__file__).resolve().parent.parent
DATABASE = "readyz_test"


def get(port: int, path: str) -> tuple[int, dict, dict]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read())


def wait_for(port: int, path: str, status: int) -> tuple[int, dict, dict]:
    deadline = time.monotonic() + 30
    while True:
        try:
            answer = get(port, path)
            if answer[0] == status or time.monotonic() > deadline:
                return answer
        except OSError:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.2)


@pytest.mark.slow
@pytest.mark.postgres
def test_readyz_follows_the_database_down_and_back():
    if os.geteuid() != 0 or not (PG_BIN / "initdb").exists():
        pytest.fail(f"this test runs its own PostgreSQL cluster: it needs root (for runuser) and {PG_BIN}/initdb")
    folder = Path(tempfile.mkdtemp(prefix="skillsite-readyz-"))
    folder.chmod(0o755)
    cluster = Cluster(folder / "cluster", spare_port()).init()
    cluster.start()
    web_port, server, running = spare_port(), None, True
    env = {
        **os.environ, "DATABASE_URL": cluster.url(DATABASE), "DJANGO_SETTINGS_MODULE": "skillsite.settings",
        "SECRET_KEY": "readyz-test-secret-0123456789-abcdefghijklmnopqrstuvwxyz", "ALLOWED_HOSTS": "127.0.0.1",
        "DEBUG": "false", "CELERY_BROKER_URL": "",
    }  # fmt: skip
    try:
        with psycopg.connect(f"host=127.0.0.1 port={cluster.port} user=postgres dbname=postgres", autocommit=True) as c:
            c.execute(f"CREATE DATABASE {DATABASE}")
        subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "skillsite.wsgi", "-b", f"127.0.0.1:{web_port}", "-w", "1"],
            cwd=ROOT, env=env, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        assert wait_for(web_port, "/readyz", 200)[2] == {"status": "ready", "checks": {"database": "ok"}}

        cluster.stop()
        running = False
        status, headers, body = wait_for(web_port, "/readyz", 503)
        assert (status, body) == (503, {"status": "unready", "checks": {"database": "unreachable"}})
        assert headers["Retry-After"]
        assert get(web_port, "/healthz")[:3:2] == (200, {"status": "ok"})

        cluster.start()
        running = True
        assert wait_for(web_port, "/readyz", 200)[0] == 200
    finally:
        if server:
            server.terminate()
            server.wait(timeout=20)
        if running:
            cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)
