"""/metrics under gunicorn with two workers in multiprocess mode (PROMETHEUS_MULTIPROC_DIR): a
scrape adds up every worker's counts, whichever worker answers it, and a worker that is replaced
keeps its counts in the total (counters never go back). The site runs on a SQLite file."""

import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.pg_cluster import spare_port

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "live-metrics-token-0123456789"


def get(port: int, path: str, token: str = "") -> tuple[int, str]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def healthz_count(port: int) -> float:
    status, text = get(port, "/metrics", TOKEN)
    assert status == 200, text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "skillsite_http_requests_total" and sample.labels["route"] == "healthz":
                return sample.value
    return 0.0


def worker_pids(folder: Path) -> set[int]:
    return {int(path.stem.rpartition("_")[2]) for path in folder.glob("counter_*.db")}


@pytest.mark.slow
def test_a_scrape_adds_up_every_workers_counts_and_keeps_a_replaced_workers():
    folder = Path(tempfile.mkdtemp(prefix="skillsite-metrics-"))
    multiprocess_dir = folder / "prometheus"
    port = spare_port()
    env = {
        **os.environ, "DATABASE_URL": f"sqlite:///{folder / 'db.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "skillsite.settings",
        "SECRET_KEY": "metrics-live-secret-0123456789-abcdefghijklmnopqrstuvwxyz", "ALLOWED_HOSTS": "127.0.0.1",
        "DEBUG": "false", "CELERY_BROKER_URL": "", "METRICS_BEARER_TOKEN": TOKEN,
        "PROMETHEUS_MULTIPROC_DIR": str(multiprocess_dir),
    }  # fmt: skip
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    assert list(multiprocess_dir.glob("*.db")), "a command's metrics files too (gunicorn empties the folder)"
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "skillsite.wsgi", "-b", f"127.0.0.1:{port}", "-w", "2"],
        cwd=ROOT, env=env, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                get(port, "/healthz")
                break
            except OSError:
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.2)
        assert get(port, "/metrics")[0] == 401
        start = healthz_count(port)
        with ThreadPoolExecutor(8) as pool:  # concurrent: both workers answer some
            statuses = list(pool.map(lambda _: get(port, "/healthz")[0], range(60)))
        assert statuses == [200] * 60
        assert len(worker_pids(multiprocess_dir)) == 2
        assert [healthz_count(port) - start for _ in range(4)] == [60] * 4  # whichever worker scrapes

        os.kill(sorted(worker_pids(multiprocess_dir))[0], signal.SIGTERM)  # gunicorn starts another
        time.sleep(1)
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda _: get(port, "/healthz"), range(20)))
        assert healthz_count(port) - start == 80
    finally:
        server.terminate()
        server.wait(timeout=30)
        subprocess.run(["rm", "-rf", str(folder)], check=False)
