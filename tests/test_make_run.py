"""`make run` on a busy port: the address is checked before any setup; the default port moves
to the next free one and the links printed are the ones served, a chosen busy ADDRESS stops at
once saying how to choose another."""

import os
import signal
import socket
import subprocess
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def port_8000_taken():
    """Holds 127.0.0.1:8000 for the test; when something else already listens there, it is taken anyway."""
    holder = socket.socket()
    try:
        holder.bind(("127.0.0.1", 8000))
        holder.listen()
    except OSError:
        pass
    try:
        yield
    finally:
        holder.close()


def run_env(tmp_path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "ADDRESS")}
    return {**env, "DATABASE_URL": f"sqlite:///{tmp_path / 'run.sqlite3'}", **extra}


def test_a_chosen_busy_address_stops_before_any_setup(tmp_path):
    with port_8000_taken():
        done = subprocess.run(["make", "run"], cwd=ROOT, env=run_env(tmp_path, ADDRESS="127.0.0.1:8000"),
                              capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode != 0
    assert "port 8000 on 127.0.0.1 is busy, nothing was set up" in done.stderr and "ADDRESS=" in done.stderr
    assert not (tmp_path / "run.sqlite3").exists()  # no migration ran


def test_the_default_port_busy_moves_to_the_next_free_one_and_prints_it(tmp_path):
    with port_8000_taken():
        server = subprocess.Popen(["make", "run"], cwd=ROOT, env=run_env(tmp_path), stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True, start_new_session=True)  # fmt: skip
        try:
            lines = []
            deadline = time.monotonic() + 900
            while time.monotonic() < deadline:
                line = server.stdout.readline()
                assert line, "make run ended early:\n" + "".join(lines)
                lines.append(line)
                if line.startswith("Serving on "):
                    break
            output = "".join(lines)
            served = line.split()[2].rstrip("/")
            assert served != "http://127.0.0.1:8000" and "port 8000 is busy; using" in output
            assert f"Admin: {served}/admin/" in output and f"Learners: {served}/" in output
            assert "127.0.0.1:8000" not in output.split("busy; using")[1]
            for _ in range(60):
                try:
                    with urllib.request.urlopen(f"{served}/accounts/login/", timeout=5) as response:
                        assert response.status == 200
                        break
                except OSError:
                    time.sleep(1)
            else:
                pytest.fail(f"nothing answered on {served}")
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
