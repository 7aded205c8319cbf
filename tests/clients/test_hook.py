"""The PostToolUse hook script, fed a recorded Claude Code hook payload: it forwards Skill calls,
never holds the agent up for more than about a second, and loses nothing when the server is down
or does not answer (the spool)."""

import io
import json
import socket
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from skills.intake.common import INTAKE_NAMESPACE, event_uuid
from skills.intake.join import skill_uses_release_due
from skills.models import SkillMetrics, SkillUse, UsageEvent
from tests.clients.conftest import CLIENTS, load_client
from tests.factories import SkillFactory, api_key_of

PAYLOAD = Path(__file__).parent / "post_tool_use_skill.json"
SESSION = "7c0e2a4e-3b1f-4c59-9d1e-5a6b7c8d9e01"
hook = load_client("skillsite_hook")


def run_hook(payload: str, env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(CLIENTS / "skillsite_hook.py"), *args],
        input=payload,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", **env},
        timeout=30,
    )


def timed_hook(payload: str, env: dict) -> float:
    """The seconds the agent waits for the hook's work (in process: the interpreter's start aside)."""
    started = time.monotonic()
    assert hook.main(io.StringIO(payload), env, []) == 0
    return time.monotonic() - started


def payload(tool_use_id: str = "toolu_01KX3q9rXkz8p2Vb7mFJ3N4d") -> str:
    return json.dumps({**json.loads(PAYLOAD.read_text()), "tool_use_id": tool_use_id})


def counted() -> list[tuple]:
    skill_uses_release_due(now=timezone.now() + timedelta(days=1))
    return sorted((e.skill_id, e.outcome, e.artifacts["tool_use_id"]) for e in UsageEvent.objects.all())


@pytest.fixture
def silent_server():
    """A server that accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    accepted = []
    stop = threading.Event()

    def accept():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    thread.join()
    for connection in accepted:
        connection.close()
    listener.close()


def test_the_hook_shares_the_servers_id_name_space():
    assert hook.INTAKE_NAMESPACE == INTAKE_NAMESPACE
    assert hook.event_uuid("hook", "s", "t") == event_uuid("hook", "s", "t")


def test_only_skill_calls_are_forwarded_with_what_the_server_reads():
    recorded = json.loads(PAYLOAD.read_text())
    assert hook.forwarded({**recorded, "tool_name": "Bash"}) is None
    sent = hook.forwarded({**recorded, "tool_response": {"success": False, "error": "Unknown skill", "big": "x" * 9}})
    assert sent["tool_response"] == {"success": False, "error": "Unknown skill"}
    assert set(sent) == {*hook.KEPT_FIELDS, "timestamp"} - {"transcript_path"}


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_recorded_payload_sent_twice_is_one_use(live_server, user, tmp_path):
    SkillFactory(skill_id="pdf-extract")
    key = api_key_of(user, "ingest")
    env = {"SKILLSITE_URL": live_server.url, "SKILLSITE_TOKEN": key, "SKILLSITE_SPOOL": str(tmp_path)}

    first = run_hook(PAYLOAD.read_text(), env)
    second = run_hook(PAYLOAD.read_text(), env)  # the hook fired twice for one call
    run_hook("", env, "--flush")  # (on a loaded machine a post may miss the second and wait in the spool)

    assert (first.returncode, second.returncode) == (0, 0)
    assert counted() == [("pdf-extract", "success", "toolu_01KX3q9rXkz8p2Vb7mFJ3N4d")]
    event = UsageEvent.objects.get()
    assert (event.user_id, event.session_id, event.project_path) == (user.pk, SESSION, "/home/dev/report")
    assert event.event_id == SkillUse.objects.get().event_id
    assert SkillMetrics.objects.get(skill_id="pdf-extract").total_invocations == 1


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_with_the_server_down_the_call_is_spooled_and_sent_once_the_server_is_back(live_server, user, tmp_path):
    SkillFactory(skill_id="pdf-extract")
    key = api_key_of(user, "ingest")
    down = {"SKILLSITE_URL": "http://127.0.0.1:9", "SKILLSITE_TOKEN": key, "SKILLSITE_SPOOL": str(tmp_path)}

    elapsed = timed_hook(payload("toolu_down"), down)

    assert elapsed < 1.2  # refused at once: no wait
    assert len(list(tmp_path.glob("*.json"))) == 1 and not SkillUse.objects.exists()

    back = run_hook(payload("toolu_back"), {**down, "SKILLSITE_URL": live_server.url})
    run_hook("", {**down, "SKILLSITE_URL": live_server.url}, "--flush")  # whatever a loaded machine left

    assert back.returncode == 0
    assert not list(tmp_path.glob("*.json"))
    assert [use for *_, use in counted()] == ["toolu_back", "toolu_down"]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_server_that_never_answers_costs_the_agent_about_a_second_and_flush_sends_the_call(
    live_server, silent_server, user, tmp_path
):
    SkillFactory(skill_id="pdf-extract")
    key = api_key_of(user, "ingest")
    env = {"SKILLSITE_URL": silent_server, "SKILLSITE_TOKEN": key, "SKILLSITE_SPOOL": str(tmp_path)}

    elapsed = timed_hook(payload("toolu_hung"), env)

    assert elapsed < 1.3  # BUDGET_SECONDS, then it gives up and spools
    assert len(list(tmp_path.glob("*.json"))) == 1

    flushed = run_hook("", {**env, "SKILLSITE_URL": live_server.url}, "--flush")

    assert "0 payload(s) left" in flushed.stderr
    assert counted() == [("pdf-extract", "success", "toolu_hung")]


def test_the_hook_never_blocks_the_agent(capsys, tmp_path):
    env = {"SKILLSITE_URL": "http://127.0.0.1:9", "SKILLSITE_TOKEN": "x", "SKILLSITE_SPOOL": str(tmp_path)}
    assert hook.main(io.StringIO(PAYLOAD.read_text()), env, []) == 0
    assert "cannot reach http://127.0.0.1:9" in capsys.readouterr().err
    assert hook.main(io.StringIO("not json"), env, []) == 0
    assert hook.main(io.StringIO(PAYLOAD.read_text()), {}, []) == 0
    assert "set SKILLSITE_URL and SKILLSITE_TOKEN" in capsys.readouterr().err
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")
    assert hook.main(io.StringIO(PAYLOAD.read_text()), {**env, "SKILLSITE_SPOOL": str(blocked)}, []) == 0
    assert "the spool cannot be used" in capsys.readouterr().err
