"""Load test: the site under gunicorn on 127.0.0.1, driven by locust (headless, bounded).

    .venv/bin/python bench/load.py [--users 30] [--run-time 60s] [--workers 4]

Prepares a `skillsite_load` PostgreSQL database (BENCH_DATABASE_URL overrides), starts
gunicorn on 127.0.0.1:8077 with production settings, runs locust for the fixed time with
agents posting single events and batches and learners reading pages, stops both, and prints
throughput, p50 / p95 / p99 and the error rate per request type (the error rate must be 0 %).
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, print_table, setup_django, truncate_telemetry  # noqa: E402

PORT = 8077
LOAD_URL = "postgres://postgres@127.0.0.1:5432/skillsite_load"
# The learner's session is signed here and read by gunicorn: both need the same key.
LOAD_SECRET = "load-test-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"


def prepare() -> dict[str, str]:
    """Users, a token and a learner session; returns the environment for locust."""
    from django.contrib.auth import get_user_model
    from django.contrib.sessions.backends.db import SessionStore

    from accounts.services import api_key_create

    truncate_telemetry()
    users = get_user_model().objects
    agent, _ = users.get_or_create(username="load-agent")
    learner, _ = users.get_or_create(username="load-learner")
    # The agent posts events and reads the summary: a write key (ingest alone cannot read).
    key = api_key_create(user=agent, name="load test", scope="write")[1]
    session = SessionStore()
    session["_auth_user_id"] = str(learner.pk)
    session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    session["_auth_user_hash"] = learner.get_session_auth_hash()
    session.create()
    return {"LOAD_TOKEN": key, "LOAD_SESSION": session.session_key, "LOAD_LEARNER_PAGES": learner_pages(learner)}


def learner_pages(learner) -> str:
    """The learner's web pages: my roadmaps, one roadmap (made here, through the engine) and practice."""
    from django.urls import reverse

    from roadmaps.models import Roadmap
    from roadmaps.services.roadmaps import roadmap_create_from_goal

    roadmap = Roadmap.objects.filter(owner=learner).first()
    if roadmap is None:
        roadmap, _warnings = roadmap_create_from_goal(
            owner=learner, user_query="learn to juggle", skill_type="physical"
        )
    pages = [reverse("roadmaps:list"), reverse("roadmaps:detail", args=[roadmap.pk]), reverse("roadmaps:history")]
    return ",".join(pages)


def server_env(url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "skillsite.settings",
        "SECRET_KEY": LOAD_SECRET,
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "INGEST_THROTTLE_RATE": "1000000/minute",
    }


def wait_until_up(timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{PORT}/admin/login/", timeout=2)
            return
        except OSError:
            time.sleep(0.3)
    raise SystemExit("gunicorn did not come up")


def run_locust(env: dict[str, str], users: int, run_time: str, out: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "locust",
            "-f",
            str(ROOT / "bench" / "locustfile.py"),
            "--headless",
            "-u",
            str(users),
            "-r",
            str(max(1, users // 3)),
            "--run-time",
            run_time,
            "--stop-timeout",
            "5",
            "--host",
            f"http://127.0.0.1:{PORT}",
            "--csv",
            str(out),
            "--only-summary",
            "--loglevel",
            "WARNING",
        ],
        env=env,
        check=False,
    )


def report(prefix: Path) -> float:
    with open(f"{prefix}_stats.csv", newline="") as handle:
        stats = list(csv.DictReader(handle))
    rows, failures, requests = [], 0, 0
    for row in stats:
        count, failed = int(row["Request Count"]), int(row["Failure Count"])
        if row["Name"] != "Aggregated":
            failures, requests = failures + failed, requests + count
        rows.append(
            [
                row["Name"],
                f"{count:,}",
                f"{float(row['Requests/s']):.1f}",
                row["50%"],
                row["95%"],
                row["99%"],
                f"{100 * failed / count if count else 0:.2f} %",
            ]
        )
    print_table(["request", "count", "req/s", "p50 ms", "p95 ms", "p99 ms", "errors"], rows)
    return 100 * failures / requests if requests else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=30)
    parser.add_argument("--run-time", default="60s")
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    os.environ["SECRET_KEY"] = LOAD_SECRET
    url = setup_django(os.environ.get("BENCH_DATABASE_URL", LOAD_URL))
    locust_env = {**os.environ, **prepare()}
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=server_env(url), check=True
    )
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "skillsite.wsgi",
            "-b",
            f"127.0.0.1:{PORT}",
            "-w",
            str(args.workers),
            "--access-logfile",
            "/dev/null",
            "--timeout",
            "60",
        ],
        cwd=ROOT,
        env=server_env(url),
    )
    try:
        wait_until_up()
        with tempfile.TemporaryDirectory() as tmp:
            prefix = Path(tmp) / "load"
            run_locust(locust_env, args.users, args.run_time, prefix)
            print(f"database: {url}; gunicorn workers: {args.workers}; locust users: {args.users}; {args.run_time}")
            error_rate = report(prefix)
    finally:
        server.terminate()
        server.wait(timeout=30)
    from skills.models import UsageEvent

    print(f"events stored: {UsageEvent.objects.count():,}; error rate {error_rate:.2f} % (must be 0 %)")
    sys.exit(0 if error_rate == 0 else 1)


if __name__ == "__main__":
    main()
