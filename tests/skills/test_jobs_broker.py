"""A broker that does not answer (issue 24, point 5): accepting connections and never replying, it
made "Mine new sessions" a 500 after 30 s and left its run queued forever. Publishing now gives up
after the transport's socket timeout, and the run is failed with the broker's error."""

import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from skills.models import Job, JobRun, RunStatus
from skills.tasks import BROKER_DOWN, TASKS, job_enqueue

ROOT = Path(__file__).resolve().parents[2]
PUBLISH = "from skills.tasks import TASKS\ntry:\n    TASKS['mine_emergence'].apply_async(kwargs={'run_id': 0})\nexcept Exception as error:\n    print('REFUSED', type(error).__name__, error)\nelse:\n    print('QUEUED')\n"  # noqa: E501


@pytest.fixture
def hung_broker():
    """A TCP port that accepts connections and never answers, as a hung Redis does."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    accepted = []

    def accept():
        while True:
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    yield f"redis://127.0.0.1:{listener.getsockname()[1]}/0"
    listener.close()
    for connection in accepted:
        connection.close()


@pytest.mark.slow
def test_publishing_to_a_hung_broker_gives_up_instead_of_hanging(hung_broker):
    env = {**os.environ, "CELERY_BROKER_URL": hung_broker, "DEBUG": "true", "DATABASE_URL": "sqlite:///:memory:"}
    # The subprocess's timeout only stops a hang from stalling the suite; the answer is what is checked.
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", PUBLISH], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip
    assert "REFUSED" in done.stdout and "Timeout" in done.stdout, (done.stdout, done.stderr[-2000:])


@pytest.mark.django_db
def test_a_publish_that_times_out_fails_the_run_with_the_brokers_error(settings, monkeypatch):
    settings.CELERY_BROKER_URL = "redis://broker.invalid:6379/0"

    def hung(*args, **kwargs):
        raise TimeoutError("Timeout reading from socket")

    monkeypatch.setattr(TASKS[Job.MINE_EMERGENCE], "apply_async", hung)
    run = job_enqueue(Job.MINE_EMERGENCE)
    assert (run.status, run.message) == (RunStatus.FAILED, BROKER_DOWN.format(error="Timeout reading from socket"))
    assert not JobRun.objects.filter(status=RunStatus.QUEUED).exists()
    assert JobRun.objects.get().finished_at is not None


def test_the_transport_times_out_socket_reads(settings):
    options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    assert 0 < options["socket_timeout"] <= 5 and 0 < options["socket_connect_timeout"] <= 5
