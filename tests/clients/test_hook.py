"""The PostToolUse hook script, fed a recorded Claude Code hook payload."""

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from skills.intake.common import INTAKE_NAMESPACE, event_uuid
from skills.models import SkillMetrics, UsageEvent
from tests.clients.conftest import CLIENTS, load_client
from tests.factories import SkillFactory, api_key_of

PAYLOAD = Path(__file__).parent / "post_tool_use_skill.json"
hook = load_client("skillsite_hook")


def run_hook(payload: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(CLIENTS / "skillsite_hook.py")],
        input=payload,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", **env},
        timeout=30,
    )


def test_the_hook_shares_the_servers_id_name_space():
    assert hook.INTAKE_NAMESPACE == INTAKE_NAMESPACE
    assert hook.event_uuid("hook", "s", "t") == event_uuid("hook", "s", "t")


@pytest.mark.django_db(transaction=True)
def test_a_recorded_payload_is_posted_once_as_a_usage_event(live_server, user):
    SkillFactory(skill_id="pdf-extract")  # a learner's telemetry counts for registered skills only
    env = {"SKILLSITE_URL": live_server.url, "SKILLSITE_TOKEN": api_key_of(user, "ingest")}

    first = run_hook(PAYLOAD.read_text(), env)
    second = run_hook(PAYLOAD.read_text(), env)  # the hook fired twice for one call

    assert (first.returncode, first.stderr, second.returncode, second.stderr) == (0, "", 0, "")
    event = UsageEvent.objects.get()
    assert (event.skill_id, event.outcome, event.user_id) == ("pdf-extract", "success", user.pk)
    assert event.session_id == "7c0e2a4e-3b1f-4c59-9d1e-5a6b7c8d9e01"
    assert event.project_path == "/home/dev/report"
    assert event.event_id == event_uuid("hook", event.session_id, "toolu_01KX3q9rXkz8p2Vb7mFJ3N4d")
    assert SkillMetrics.objects.get(skill_id="pdf-extract").total_invocations == 1


def test_other_tools_and_failures():
    payload = json.loads(PAYLOAD.read_text())
    assert hook.event_from_hook({**payload, "tool_name": "Bash"}) is None
    failed = hook.event_from_hook({**payload, "tool_response": {"success": False, "error": "Unknown skill"}})
    assert (failed["outcome"], failed["error_type"]) == ("error", "Unknown skill")
    plugin = hook.event_from_hook({**payload, "tool_input": {"skill": "team-tools:code-review"}})
    assert plugin["skill_id"] == "code-review"


def test_the_hook_never_blocks_the_agent(capsys):
    payload = PAYLOAD.read_text()
    assert hook.main(io.StringIO(payload), {"SKILLSITE_URL": "http://127.0.0.1:9", "SKILLSITE_TOKEN": "x"}) == 0
    assert "cannot reach http://127.0.0.1:9" in capsys.readouterr().err
    assert hook.main(io.StringIO("not json"), {}) == 0
    assert hook.main(io.StringIO(payload), {}) == 0
    assert "set SKILLSITE_URL and SKILLSITE_TOKEN" in capsys.readouterr().err
