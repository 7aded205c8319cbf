"""The fleet of tests/test_fleet.py on the hosts of tests/fleet_hosts.py: a PostgreSQL primary and
its streaming replica, Redis, two gunicorn web hosts behind HAProxy (Debian's package, checking
/readyz), a Celery worker and beat host, and a fold worker host, started as docs/deploy.md says."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import psycopg

from tests.fleet_hosts import Host, Network
from tests.pg_cluster import PG_BIN

ROOT = Path(__file__).resolve().parent.parent
DATABASE = "skillsite"
WEB_PORT, EXPORTER_PORT = 8000, 9108
METRICS_TOKEN = "fleet-metrics-token-0123456789"
HAPROXY = "/usr/sbin/haproxy"
RETRY_LATER = (  # what HAProxy answers when no web host could: a 503 the client may retry
    "HTTP/1.0 503 Service Unavailable\r\nRetry-After: 1\r\nCache-Control: no-cache\r\nConnection: close\r\n"
    'Content-Type: application/json\r\n\r\n{"detail": "No web host could answer; retry shortly."}\n'
)
HAPROXY_CONFIG = """\
global
    stats socket {folder}/haproxy.sock mode 600 level admin
    tune.bufsize 131072
defaults
    mode http
    timeout connect 1s
    timeout client 30s
    timeout server 30s
    retries 3
    option redispatch 1
    retry-on conn-failure empty-response response-timeout
    errorfile 502 {folder}/retry-later.http
    errorfile 503 {folder}/retry-later.http
    errorfile 504 {folder}/retry-later.http
frontend site
    bind {address}:80
    default_backend web
backend web
    balance roundrobin
    option httpchk
    http-check send meth GET uri /readyz ver HTTP/1.1 hdr Host {address}
    http-check expect status 200
    default-server inter 500ms fall 3 rise 2
    timeout check 5s
{servers}
"""


def wait_for_port(address: str, port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((address, port), timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise TimeoutError(f"nothing listens on {address}:{port} after {timeout} s") from None
            time.sleep(0.1)


class Fleet:
    def __init__(self, network: Network, folder: Path) -> None:
        self.network, self.folder = network, folder
        shutil.chown(folder, "postgres")  # its clusters and their logs are the postgres user's
        folder.chmod(0o755)
        names = ["db1", "db2", "redis", "lb", "web1", "web2", "jobs", "fold"]
        self.hosts: dict[str, Host] = {name: network.add_host(name) for name in names}
        self.lb_url = f"http://{self.hosts['lb'].address}"

    def host(self, name: str) -> Host:
        return self.hosts[name]

    def database_url(self, host: str = "db1") -> str:
        return f"postgres://postgres@{self.hosts[host].address}:5432/{DATABASE}"

    def env(self, host: str = "") -> dict:
        redis = self.hosts["redis"].address
        env = {
            **os.environ, "DJANGO_SETTINGS_MODULE": "skillsite.settings", "SECRET_KEY": "fleet-secret-0123456789-abc",
            "DATABASE_URL": self.database_url("db1"), "DATABASE_REPLICA_URL": self.database_url("db2"),
            "CELERY_BROKER_URL": f"redis://{redis}:6379/0", "CACHE_URL": f"redis://{redis}:6379/1",
            "ALLOWED_HOSTS": ",".join(self.hosts[name].address for name in ("lb", "web1", "web2")),
            "DEBUG": "false", "SECURE_SSL_REDIRECT": "false", "SESSION_COOKIE_SECURE": "false",
            "CSRF_COOKIE_SECURE": "false", "INGEST_FOLD_INTERVAL_SECONDS": "-1", "LOG_FORMAT": "json",
            "METRICS_BEARER_TOKEN": METRICS_TOKEN, "METRICS_EXPORTER_PORT": str(EXPORTER_PORT),
        }  # fmt: skip
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        if host:
            env["PROMETHEUS_MULTIPROC_DIR"] = str(self.folder / f"{host}-metrics")
        return env

    def log(self, name: str) -> Path:
        return self.folder / f"{name}.log"

    # --- databases and broker ---------------------------------------------------------------

    def start_databases(self) -> None:
        primary, replica = self.hosts["db1"], self.hosts["db2"]
        data = self.folder / "db1"
        self._as_postgres(primary, [str(PG_BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "-N"])
        with open(data / "pg_hba.conf", "a") as hba:
            hba.write(f"host all all {self.network.subnet} trust\nhost replication all {self.network.subnet} trust\n")
        self._pg_start(primary, data)
        with psycopg.connect(f"host={primary.address} user=postgres dbname=postgres", autocommit=True) as c:
            c.execute(f"CREATE DATABASE {DATABASE}")
        standby = self.folder / "db2"
        self._as_postgres(replica, [str(PG_BIN / "pg_basebackup"), "-h", primary.address, "-U", "postgres",
                                    "-D", str(standby), "-R", "-X", "stream", "-c", "fast", "-N"])  # fmt: skip
        self._pg_start(replica, standby)

    def _as_postgres(self, host: Host, args: list[str]) -> None:
        host.run(args, user="postgres")

    def _pg_start(self, host: Host, data: Path) -> None:
        # Throw-away clusters: no fsync (a migrate on a busy CI machine waits for the disk otherwise).
        options = (f"-p 5432 -c listen_addresses={host.address} -c unix_socket_directories='' -c max_connections=200 "
                   "-c fsync=off -c synchronous_commit=off -c full_page_writes=off")  # fmt: skip
        log = self.folder / f"{host.name}-postgres.log"
        self._as_postgres(host, [str(PG_BIN / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(log), "-w", "start"])

    def start_redis(self) -> None:
        redis = self.hosts["redis"]
        args = [
            "redis-server",
            "--bind",
            redis.address,
            "--port",
            "6379",
            "--save",
            "",
            "--appendonly",
            "no",
            "--protected-mode",
            "no",
        ]  # fmt: skip  (trusted network: the test's bridge)
        redis.start(args, env=os.environ.copy(), log=self.log("redis"))
        wait_for_port(redis.address, 6379)

    def collectstatic(self) -> subprocess.Popen:
        """The production storage serves hashed names from STATIC_ROOT (started beside the migrate)."""
        command = [sys.executable, "tests/fleet_scenario.py", "collectstatic"]
        return subprocess.Popen(command, cwd=ROOT, env=self.env(), stdout=subprocess.DEVNULL)

    def manage(self, *args: str) -> str:
        result = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=self.env(), capture_output=True,
                                text=True, timeout=300)  # fmt: skip
        if result.returncode:
            raise AssertionError(f"manage.py {' '.join(args)} failed:\n{result.stderr[-3000:]}")
        return result.stdout

    def scenario(self, *args: str, **env: str) -> str:
        result = subprocess.run([sys.executable, "tests/fleet_scenario.py", *args], cwd=ROOT, env={**self.env(), **env},
                                capture_output=True, text=True, timeout=300)  # fmt: skip
        if result.returncode:
            raise AssertionError(f"fleet_scenario.py {args[0]} failed:\n{result.stderr[-3000:]}")
        return result.stdout.strip().splitlines()[-1]

    # --- the site's processes ---------------------------------------------------------------

    def start_web(self, name: str) -> None:
        host = self.hosts[name]
        args = [sys.executable, "-m", "gunicorn", "skillsite.wsgi", "-b", f"{host.address}:{WEB_PORT}", "-w", "2"]
        host.start(args, env=self.env(name), log=self.log(name), cwd=ROOT)
        wait_for_port(host.address, WEB_PORT)
        for _ in range(4):  # each worker's first request loads the URLs and opens connections: not under a check
            subprocess.run(["curl", "-s", "-o", "/dev/null", "-H", f"Host: {self.hosts['lb'].address}",
                            f"http://{host.address}:{WEB_PORT}/readyz"], timeout=60, check=False)  # fmt: skip

    def start_jobs(self) -> None:
        host = self.hosts["jobs"]
        worker = [sys.executable, "-m", "celery", "-A", "skillsite", "worker", "-l", "warning", "-c", "2"]
        host.start(worker, env=self.env("jobs"), log=self.log("jobs-worker"), cwd=ROOT)
        beat = [sys.executable, "-m", "celery", "-A", "skillsite", "beat", "-l", "warning",
                "-s", str(self.folder / "beat-schedule")]  # fmt: skip
        host.start(beat, env=self.env(), log=self.log("jobs-beat"), cwd=ROOT)

    def start_fold(self) -> None:
        host = self.hosts["fold"]
        args = [sys.executable, "manage.py", "fold_usage", "--follow"]
        host.start(args, env=self.env(), log=self.log("fold"), cwd=ROOT)

    def start_balancer(self) -> None:
        lb = self.hosts["lb"]
        (self.folder / "retry-later.http").write_text(RETRY_LATER)
        servers = "\n".join(f"    server {n} {self.hosts[n].address}:{WEB_PORT} check" for n in ("web1", "web2"))
        config = self.folder / "haproxy.cfg"
        config.write_text(HAPROXY_CONFIG.format(folder=self.folder, address=lb.address, servers=servers))
        lb.start([HAPROXY, "-db", "-f", str(config)], env=os.environ.copy(), log=self.log("haproxy"))
        wait_for_port(lb.address, 80)

    def balancer_states(self) -> dict[str, str]:
        """Each web server's state as HAProxy sees it (UP, DOWN…), from its admin socket."""
        with socket.socket(socket.AF_UNIX) as admin:
            admin.connect(str(self.folder / "haproxy.sock"))
            admin.sendall(b"show stat\n")
            text = b""
            while chunk := admin.recv(65536):
                text += chunk
        rows = [line.split(",") for line in text.decode().splitlines() if line and not line.startswith("#")]
        # Columns 17 and 36: status and last check (L7OK: /readyz answered 200).
        states = {row[1]: row[17].split(" ")[0] for row in rows if row[0] == "web" and row[1] in ("web1", "web2")}
        checks = {row[1]: row[36] for row in rows if row[0] == "web"}
        return {name: "UP" if state == "UP" and checks[name] == "L7OK" else state for name, state in states.items()}

    def wait_for_state(self, server: str, wanted: str, timeout: float = 60) -> float:
        """Seconds until HAProxy sees the server in that state (UP only after a passed check)."""
        started = time.monotonic()
        while self.balancer_states().get(server) != wanted:
            if time.monotonic() - started > timeout:
                raise TimeoutError(f"{server} not {wanted} after {timeout} s: {self.balancer_states()}")
            time.sleep(0.05)
        return time.monotonic() - started
