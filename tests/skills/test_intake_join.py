"""Every Claude Code signal of a skill use, one usage event (issue 25, points 1–3).

The session in claude_session.py is sent from every combination of its four sources — OpenTelemetry
with default settings, the same with OTEL_LOG_TOOL_DETAILS=1, the hook and the transcript — each
record in its own request, in shuffled order: each real use is counted once, with its outcome,
duration and error; the plugin's skill stays apart from the registry's skill of the same bare name;
the slash command is counted; a use nobody named is counted as unnamed, for staff.
"""

import itertools
import json
import random
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from skills.intake.join import skill_uses_release_due
from skills.intake.transcripts import claude_transcripts_import
from skills.models import AgentApiRequest, HeldUsageEvent, UnregisteredSkill, UsageEvent
from skills.selectors.skill_costs import skill_costs
from tests.factories import SkillFactory

from . import claude_session as session
from .otlp_helpers import otlp_json

SOURCES = ("default", "details", "hook", "transcript")
COMBINATIONS = [set(c) for n in range(1, 5) for c in itertools.combinations(SOURCES, n)]


@pytest.fixture
def registry(db):
    # The registry's own skills of the same bare names as the session's: the plugin's skill must not count for them.
    return SkillFactory(skill_id="pdf"), SkillFactory(skill_id="code-review")


def send(sources: set[str], client, user, tmp_path, seed: int) -> None:
    deliveries = []
    for source, records in (("default", session.otlp_default), ("details", session.otlp_details)):
        if source in sources:
            deliveries += [("otlp", record) for record in records()]
    if "hook" in sources:
        deliveries += [("hook", payload) for payload in session.hook_payloads()]
    if "transcript" in sources:
        deliveries.append(("transcript", None))
    random.Random(seed).shuffle(deliveries)
    for kind, item in deliveries:
        if kind == "otlp":
            body = json.dumps(otlp_json([item], time_unix_nano="0"))
            response = client.post("/api/otel/v1/logs", data=body, content_type="application/json")
            assert response.status_code == 200 and "partialSuccess" not in response.json(), response.content
        elif kind == "hook":
            assert client.post("/api/agent-hook/", item, format="json").status_code in (200, 202)
        else:
            path = tmp_path / f"{session.SESSION}.jsonl"
            path.write_text("".join(json.dumps(line) + "\n" for line in session.transcript_lines()))
            report = claude_transcripts_import(paths=[path], user=user)
            assert not report.problems
    # Whatever is still waiting for a signal that will not come counts now.
    skill_uses_release_due(now=timezone.now() + timedelta(days=1))


def held_names() -> list[str]:
    return sorted(HeldUsageEvent.objects.values_list("unregistered__name", flat=True))


@pytest.mark.parametrize("sources", COMBINATIONS, ids=lambda s: "+".join(sorted(s)))
def test_every_combination_of_sources_counts_each_real_use_once(sources, registry, user, user_client, tmp_path):
    send(sources, user_client, user, tmp_path, seed=len(sources) * 7 + sum(map(len, sources)))

    named = bool(sources & {"details", "hook", "transcript"})
    slash_seen = bool(sources & {"default", "details", "transcript"})
    slash_named = bool(sources & {"details", "transcript"})
    events = {e.artifacts.get("tool_use_id", "slash"): e for e in UsageEvent.objects.all()}
    expected_events = ({"toolu_1"} if named else set()) | ({"slash"} if slash_named else set())
    assert set(events) == expected_events
    expected_held = ["team-tools:code-review" if named else "unnamed-skill"]
    expected_held += [] if named else ["unnamed-skill"]
    expected_held += ["unnamed-skill"] if slash_seen and not slash_named else []
    assert held_names() == sorted(expected_held)
    # One event (or held use) a real use: P1, P2, and P3 where a source saw it.
    assert len(events) + len(held_names()) == 2 + slash_seen

    assert not UsageEvent.objects.filter(skill_id="code-review").exists()  # the plugin's skill stays apart
    if named:
        pdf = events["toolu_1"]
        assert (pdf.skill_id, pdf.outcome, pdf.user_id) == ("pdf", "success", user.pk)
        duration_known = bool(sources & {"default", "details", "transcript"})
        assert pdf.latency_ms == (1200 if duration_known else None)
        if sources & {"default", "details"} and "transcript" not in sources:
            # (An imported transcript releases its uses at once — it is written after the fact — so
            # an activation sent after it adds nothing: live OpenTelemetry comes first in practice.)
            assert (pdf.invocation_trigger, pdf.skill_source) == ("claude-proactive", "projectSettings")
    if slash_named:
        slash = events["slash"]
        assert (slash.skill_id, slash.outcome, slash.invocation_trigger) == ("pdf", "success", "user-slash")
    review = [h for h in HeldUsageEvent.objects.all() if h.payload["artifacts"].get("tool_use_id") == "toolu_2"]
    assert len(review) == 1 and review[0].payload["outcome"] == "error"
    assert review[0].payload["error_type"] == (session.ERROR_TEXT if named else "Error")


def test_a_resent_export_stores_nothing_twice(registry, user, user_client, tmp_path):
    send({"details"}, user_client, user, tmp_path, seed=1)
    before = (UsageEvent.objects.count(), HeldUsageEvent.objects.count())

    send({"details"}, user_client, user, tmp_path, seed=2)

    assert (UsageEvent.objects.count(), HeldUsageEvent.objects.count()) == before == (2, 1)


def test_an_activation_and_its_result_wait_for_each_other_and_the_later_fills_the_name(registry, user, user_client):
    """Default settings name nothing; the hook, later, names the skill and the use then counts."""
    records = [r for r in session.otlp_default() if r["event.sequence"] in (2, 3)]
    user_client.post(
        "/api/otel/v1/logs", data=json.dumps(otlp_json(records, time_unix_nano="0")), content_type="application/json"
    )
    assert not UsageEvent.objects.exists()  # unnamed so far: waits

    user_client.post("/api/agent-hook/", session.hook_payloads()[0], format="json")

    event = UsageEvent.objects.get()
    assert (event.skill_id, event.latency_ms, event.invocation_trigger) == ("pdf", 1200, "claude-proactive")


def test_unnamed_uses_are_listed_for_staff(registry, user, user_client, tmp_path):
    send({"default"}, user_client, user, tmp_path, seed=3)

    listed = UnregisteredSkill.objects.get(name="unnamed-skill")
    assert listed.uses == 3 and not UsageEvent.objects.exists()


@pytest.mark.parametrize(
    "sources", [{"details"}, {"default", "hook", "transcript"}, set(SOURCES)], ids=lambda s: "+".join(sorted(s))
)
def test_skill_costs_come_from_the_requests_of_their_prompts_and_never_exceed_the_sessions(
    sources, registry, user, user_client, tmp_path
):
    send(sources, user_client, user, tmp_path, seed=11)

    costs = skill_costs(["pdf", "code-review"], since=session.START - timedelta(days=1))

    # P1's requests after its activation ($0.02 + $0.03) and P3's ($0.05); the request before any
    # skill ($0.01) and the plugin's skill's ($0.04, held apart) count for neither registered skill.
    pdf = costs["pdf"]
    assert (pdf.cost_usd, pdf.uses, pdf.cost_per_use, pdf.cost_per_success) == (
        Decimal("0.10"),
        2,
        Decimal("0.05"),
        Decimal("0.05"),
    )
    assert pdf.tokens == 2 * 1100 + 1100
    assert "code-review" not in costs
    assert sum(cost.cost_usd for cost in costs.values()) <= session.SESSION_COST
    assert sum(AgentApiRequest.objects.values_list("cost_usd", flat=True)) == session.SESSION_COST


def test_the_skill_page_and_the_api_show_the_cost(registry, user, user_client, admin_client, tmp_path):
    send({"details"}, user_client, user, tmp_path, seed=5)

    data = user_client.get("/api/skills/pdf/").data["cost"]

    assert (data["uses"], data["cost_per_use"], data["cost_per_success"]) == (2, "0.050000", "0.050000")
    page = admin_client.get("/admin/skills/skill/pdf/change/").content.decode()
    assert "$0.100000" in page and "$0.050000 a use" in page
    start = (session.START - timedelta(days=1)).date()
    dashboard = admin_client.get(f"/admin/skills/dashboard/?start={start}&end={timezone.now().date()}&skill=")
    assert 'id="costs-table"' in dashboard.content.decode() and "$0.100000" in dashboard.content.decode()


def test_a_transcripts_model_usage_is_its_sessions_requests_when_no_otlp_came(registry, user, user_client, tmp_path):
    send({"transcript"}, user_client, user, tmp_path, seed=1)
    send({"transcript"}, user_client, user, tmp_path, seed=2)  # imported again: nothing twice

    requests = AgentApiRequest.objects.filter(user=user, session_id=session.SESSION)
    assert requests.count() == 5
    assert sum(r.input_tokens for r in requests) == 100 + 200 + 300 + 400 + 500


def test_a_transcript_adds_no_requests_to_a_session_otlp_reported(registry, user, user_client, tmp_path):
    send({"details"}, user_client, user, tmp_path, seed=4)
    send({"transcript"}, user_client, user, tmp_path, seed=4)  # imported after the session, as it is

    assert AgentApiRequest.objects.filter(user=user).count() == 5  # the five api_request records only
    assert sum(AgentApiRequest.objects.values_list("cost_usd", flat=True)) == session.SESSION_COST
