"""The site as a fleet of hosts (network namespaces on this machine, docs/deploy.md): a PostgreSQL
primary and streaming replica, Redis, two gunicorn web hosts behind HAProxy checking /readyz, a
Celery worker and beat host and a fold worker host.

Through the load balancer, agents post events (batches and single, retrying what was not
acknowledged) and pull skills, and an admin runs a job on one web host whose progress the other
shows. Mid-run a web host and the fold host are killed (SIGKILL: a power cut), then brought back, and
the other web host is stopped gracefully (SIGTERM) under load.
At the end every acknowledged event is stored once, the roll-ups equal `rebuild_metrics`, no
client saw a 5xx other than 503 with Retry-After, and HAProxy took the dead host out by its
readiness check. The figures are printed (run with -s to see them).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import Counter
from pathlib import Path

import pytest

from tests.fleet_hosts import Network
from tests.fleet_services import EXPORTER_PORT, HAPROXY, METRICS_TOKEN, ROOT, WEB_PORT, Fleet
from tests.pg_cluster import PG_BIN
from tests.skills.telemetry_helpers import event_payload

AGENTS = 4
BATCH = 10


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


OPENER = urllib.request.build_opener(NoRedirects)


def call(url: str, *, data: bytes | None = None, headers: dict | None = None, timeout: float = 15):
    """(status, headers, body); status 0 when no answer came."""
    request = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with OPENER.open(request, timeout=timeout) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()
    except OSError:
        return 0, {}, b""


class Agents:
    """Threads posting events through the load balancer until stopped, each retrying a post until
    it is acknowledged (a retry is safe: event ids make it idempotent)."""

    def __init__(self, url: str, token: str) -> None:
        self.url, self.token = url, token
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.acknowledged: set[str] = set()
        self.statuses: Counter = Counter()
        self.bad_5xx: list[str] = []
        self.threads = [threading.Thread(target=self.post_events, args=(n,)) for n in range(AGENTS)]

    def post_events(self, agent: int) -> None:
        n = 0
        while not self.stop.is_set():
            size = BATCH if n % 2 == 0 else 1
            events = [event_payload(agent * 100_000 + n + i, event_id=str(uuid.uuid4())) for i in range(size)]
            self.post_until_acknowledged(events if size > 1 else events[0])
            with self.lock:
                self.acknowledged.update(event["event_id"] for event in events)
            n += size

    def post_until_acknowledged(self, body) -> None:
        headers = {"Content-Type": "application/json", "Authorization": f"Token {self.token}"}
        for _ in range(200):
            status, answer_headers, _body = call(f"{self.url}/api/events/", data=json.dumps(body).encode(),
                                                 headers=headers)  # fmt: skip
            with self.lock:
                self.statuses[status] += 1
                if status >= 500 and not (status == 503 and answer_headers.get("Retry-After")):
                    self.bad_5xx.append(f"{status} {answer_headers.get('Retry-After')!r}")
            if status in (200, 201):
                return
            assert status in (0, 503), f"a post was refused: {status} {_body[:300]!r}"
            time.sleep(0.2)
        raise AssertionError("a post was never acknowledged")

    def __enter__(self) -> Agents:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=120)


class Admin:
    """A signed-in admin whose session cookie works on any web host (sessions are in the database)."""

    def __init__(self, fleet: Fleet, password: str) -> None:
        self.fleet, self.cookies = fleet, {}
        page = self.get(fleet.lb_url, "/admin/login/")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1).decode()
        login = {"username": "fleet-admin", "password": password, "csrfmiddlewaretoken": token}
        status, _ = self.post(fleet.lb_url, "/admin/login/?next=/admin/", login)
        assert status == 302 and "sessionid" in self.cookies, "the admin could not sign in"

    def headers(self) -> dict:
        cookies = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        return {"Cookie": cookies, "Host": self.fleet.host("lb").address}

    def remember(self, headers) -> None:
        for cookie in headers.get_all("Set-Cookie") or []:
            name, _, value = cookie.split(";")[0].partition("=")
            self.cookies[name] = value

    def get(self, base: str, path: str) -> bytes:
        status, headers, body = call(base + path, headers=self.headers())
        assert status == 200, f"GET {path} on {base}: {status}"
        self.remember(headers)
        return body

    def post(self, base: str, path: str, fields: dict) -> tuple[int, str]:
        data = urllib.parse.urlencode(fields).encode()
        headers = {**self.headers(), "Content-Type": "application/x-www-form-urlencoded"}
        status, answer_headers, _ = call(base + path, data=data, headers=headers)
        self.remember(answer_headers)
        return status, answer_headers.get("Location", "")


def pull(fleet: Fleet, token: str, dest: Path) -> str:
    result = subprocess.run([sys.executable, "clients/skillsite_pull.py", "--url", fleet.lb_url, "--dest", str(dest)],
                            cwd=ROOT, env={**os.environ, "SKILLSITE_TOKEN": token}, capture_output=True, text=True,
                            timeout=60)  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout


def job_progress_across_hosts(fleet: Fleet, admin: Admin) -> str:
    """Queues a full re-mine on web1; follows its run page on web2 until it is done."""
    web1, web2 = (f"http://{fleet.host(n).address}:{WEB_PORT}" for n in ("web1", "web2"))
    token = admin.cookies["csrftoken"]
    status, location = admin.post(
        web1, "/admin/skills/emergencecandidate/mine/", {"full": "1", "csrfmiddlewaretoken": token}
    )
    assert status == 302 and "/admin/skills/jobrun/" in location, (status, location)
    deadline = time.monotonic() + 60
    while b"Succeeded" not in (page := admin.get(web2, urllib.parse.urlparse(location).path)):
        assert time.monotonic() < deadline, "the job's run page on web2 never showed it done"
        time.sleep(0.3)
    return re.search(rb'<progress[^>]*value="(\d+)"', page).group(1).decode()


def metric(fleet: Fleet, host: str, name: str, *, port: int = WEB_PORT) -> float:
    """A sample of a host's metrics, `name` with its labels as Prometheus writes them."""
    url = f"http://{fleet.host(host).address}:{port}/metrics"
    assert call(url)[0] == 401  # operators only
    status, _, body = call(url, headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert status == 200
    return float(re.search(rf"^{re.escape(name)} (\S+)$", body.decode(), re.MULTILINE).group(1))


def interrupt(signum, frame) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def require_tools() -> None:
    if os.geteuid() != 0:
        pytest.fail("the fleet test makes network namespaces: it needs root")
    missing = [path for path in (HAPROXY, str(PG_BIN / "initdb"), shutil.which("redis-server") or "redis-server")
               if not Path(path).exists()]  # fmt: skip
    if missing:
        pytest.fail(f"the fleet test needs {', '.join(missing)}: run `bash .ci/fleet` (installs haproxy) first")


@pytest.mark.slow
@pytest.mark.postgres
def test_the_fleet_loses_nothing_when_a_web_host_and_the_fold_host_die():
    require_tools()
    started = time.monotonic()
    folder = Path(tempfile.mkdtemp(prefix="skillsite-fleet-"))
    stopped_by_signal = signal.signal(signal.SIGTERM, interrupt)  # a CI timeout's SIGTERM still cleans up
    network = Network()
    figures: dict[str, object] = {"tag": network.tag}
    try:
        fleet = Fleet(network, folder)
        fleet.start_databases()
        fleet.start_redis()
        collecting = fleet.collectstatic()
        fleet.manage("migrate", "-v0")
        assert collecting.wait(timeout=300) == 0
        password = uuid.uuid4().hex
        prepared = json.loads(fleet.scenario("prepare", FLEET_ADMIN_PASSWORD=password))
        assert prepared["fold_schedules_disabled"] == 1
        for name in ("web1", "web2"):
            fleet.start_web(name)
        fleet.start_jobs()
        fleet.start_fold()
        fleet.start_balancer()
        fleet.wait_for_state("web1", "UP")
        fleet.wait_for_state("web2", "UP")
        figures["setup_seconds"] = round(time.monotonic() - started, 1)

        first_pull = pull(fleet, prepared["pull_key"], folder / "skills")
        assert (folder / "skills" / "fleet-basics" / "SKILL.md").is_file(), first_pull
        admin = Admin(fleet, password)
        with Agents(fleet.lb_url, prepared["ingest_key"]) as agents:
            time.sleep(3)
            fleet.host("web1").crash()
            fleet.host("fold").crash()
            figures["web1_out_after_seconds"] = round(fleet.wait_for_state("web1", "DOWN"), 2)
            time.sleep(3)
            queued_while_fold_down = metric(fleet, "web2", "skillsite_fold_queue_events")
            assert queued_while_fold_down > 0  # what an operator's fold-lag alert watches
            fleet.start_web("web1")
            figures["web1_back_after_seconds"] = round(fleet.wait_for_state("web1", "UP"), 2)
            figures["job_progress_done"] = job_progress_across_hosts(fleet, admin)
            # Counted by the worker's pool process, served by the exporter of its main process.
            full_mines = 'skillsite_job_runs_total{job="mine_emergence_full",status="succeeded"}'
            assert metric(fleet, "jobs", full_mines, port=EXPORTER_PORT) == 1
            second_pull = pull(fleet, prepared["pull_key"], folder / "skills")
            web2 = fleet.host("web2").processes[0]  # gunicorn's master
            web2.send_signal(signal.SIGTERM)  # a graceful stop under load: its workers finish what they hold
            stopping = time.monotonic()
            assert web2.wait(timeout=60) == 0
            figures["web2_graceful_stop_seconds"] = round(time.monotonic() - stopping, 2)
            figures["web2_out_after_seconds"] = round(fleet.wait_for_state("web2", "DOWN"), 2)
            time.sleep(2)
        assert agents.bad_5xx == [], f"clients saw 5xx other than 503 with Retry-After: {agents.bad_5xx[:5]}"
        fold_back = time.monotonic()
        queued = json.loads(fleet.scenario("stored"))["queued"]
        fleet.start_fold()
        while (state := json.loads(fleet.scenario("stored")))["queued"]:
            assert time.monotonic() - fold_back < 120, "the fold queue did not drain"
            time.sleep(0.2)
        figures["fold_queue_when_fold_host_returned"] = queued
        figures["fold_queue_drained_after_seconds"] = round(time.monotonic() - fold_back, 2)

        assert state["stored_more_than_once"] == 0
        assert set(state["event_ids"]) == agents.acknowledged and len(state["event_ids"]) == len(agents.acknowledged)
        folded = fleet.scenario("snapshot")
        fleet.manage("rebuild_metrics", "-v0")
        assert json.loads(fleet.scenario("snapshot")) == json.loads(folded)
        assert "unchanged" in second_pull or "fleet-basics" not in second_pull, second_pull
        figures.update(
            events_acknowledged=len(agents.acknowledged), requests=sum(agents.statuses.values()),
            statuses=dict(agents.statuses), answers_503=agents.statuses[503], no_answer=agents.statuses[0],
            fold_queue_gauge_while_fold_down=queued_while_fold_down, wall_seconds=round(time.monotonic() - started, 1),
        )  # fmt: skip
    except BaseException:
        for log in sorted(folder.glob("*.log")):  # what each host said, for whoever reads the failure
            print(f"--- {log.name}:\n" + "\n".join(log.read_text(errors="replace").splitlines()[-15:]))
        raise
    finally:
        network.teardown()
        signal.signal(signal.SIGTERM, stopped_by_signal)
        print(f"\nfleet figures: {json.dumps(figures)}")
        shutil.rmtree(folder, ignore_errors=True)
