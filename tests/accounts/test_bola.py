"""BOLA and privilege: every operation of the schema, sent by a second learner with a key of each
scope, aimed at the first learner's objects (in the path or named in the body).

A scope that does not cover the operation gets 403 and nothing in the database changes. A scope
that covers it still cannot read or change the first learner's objects: 403 or 404 for an object
in the path; the caller's own data only for lists; and in no case does a response carry the first
learner's text or ids, or does any of the first learner's rows (or the registry, or anyone's
unlocks) change. An operation of the schema without a probe here fails the suite, as one without
a scope rule does (test_key_scopes.py)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import APIKey
from accounts.permissions import SCOPE_REFUSED
from accounts.scopes import Scope, scope_allows
from roadmaps.models import MilestoneProgress, PracticeActivity, Roadmap, SkillDeconstruction
from roadmaps.services.milestones import milestone_notes_update
from roadmaps.services.practice import practice_activity_log
from skills.ingestion.record import usage_events_record
from skills.models import AgentApiRequest, Feedback, Skill, SkillUnlock, SkillVersion, UsageEvent
from skills.services.metrics import feedback_record
from skills.services.registry import skill_unlock_grant, skill_version_publish
from tests.accounts.schema_operations import Operation, schema_operations
from tests.factories import SkillFactory, UserFactory, api_key_of, make_roadmap
from tests.skills.otlp_helpers import api_request, otlp_json

pytestmark = pytest.mark.django_db

VICTIM_SESSION = "victim-session-7f3a"
OPEN_SKILL = "open-skill"
LOCKED_SKILL = "victims-skill"
SKILLS = (OPEN_SKILL, LOCKED_SKILL)


@dataclass
class World:
    victim: object
    attacker: object
    ids: dict[str, str]
    secrets: list[str] = field(default_factory=list)
    keys: dict[str, str] = field(default_factory=dict)


def build_world() -> World:
    victim, attacker = UserFactory(username="victim"), UserFactory(username="attacker")
    publish = "---\nname: {0}\ndescription: test\n---\nbody of {0}\n"
    skill_version_publish(skill=SkillFactory(skill_id=OPEN_SKILL, tier="foundational"), version="1.0.0",
                          content=publish.format(OPEN_SKILL))  # fmt: skip
    skill_version_publish(skill=SkillFactory(skill_id=LOCKED_SKILL, tier="standard"), version="1.0.0",
                          content=publish.format(LOCKED_SKILL))  # fmt: skip
    skill_unlock_grant(user=victim, skill_id=LOCKED_SKILL, reason="the victim's own grant")
    roadmap = make_roadmap(victim, query="VICTIM-GOAL learn to juggle")
    Roadmap.objects.filter(pk=roadmap.pk).update(title="VICTIM-ROADMAP-TITLE")
    progress = MilestoneProgress.objects.filter(deconstruction=roadmap.deconstruction).order_by("milestone_id")[0]
    milestone_notes_update(progress=progress, notes="VICTIM-MILESTONE-NOTES")
    activity = practice_activity_log(
        progress=progress, activity_type="reading", title="VICTIM-PRACTICE-TITLE", user_notes="VICTIM-PRACTICE-NOTES"
    )
    event_id = str(uuid.uuid4())
    usage_events_record(
        events=[{"event_id": event_id, "skill_id": OPEN_SKILL, "outcome": "success", "session_id": VICTIM_SESSION,
                 "latency_ms": 120, "occurred_at": timezone.now().isoformat()}],
        user=victim,
    )  # fmt: skip
    feedback_record(user=victim, skill_id=OPEN_SKILL, event_id=event_id, rating=2, notes="VICTIM-FEEDBACK-NOTES")
    AgentApiRequest.objects.create(
        user=victim, record_key=uuid.uuid4(), session_id=VICTIM_SESSION, model="claude-sonnet", input_tokens=10,
        output_tokens=20, cost_usd=Decimal("0.5"), occurred_at=timezone.now() - timedelta(minutes=1),
    )  # fmt: skip
    ids = {
        "roadmap": str(roadmap.pk),
        "deconstruction": str(roadmap.deconstruction_id),
        "progress": str(progress.pk),
        "activity": str(activity.pk),
        "event": event_id,
        "session": VICTIM_SESSION,
    }
    secrets = [*ids.values(), "VICTIM-ROADMAP-TITLE", "VICTIM-GOAL", "VICTIM-MILESTONE-NOTES", "VICTIM-PRACTICE",
               "VICTIM-FEEDBACK-NOTES", victim.email]  # fmt: skip
    world = World(victim=victim, attacker=attacker, ids=ids, secrets=secrets)
    world.keys = {scope: api_key_of(attacker, scope) for scope in Scope.values}
    return world


def state() -> dict:
    """The rows a probe must not change: every learner's objects, the probes' skills and versions,
    and every unlock (no request may grant one)."""

    def rows(queryset, exclude: tuple = ()) -> list:
        return [{k: v for k, v in row.items() if k not in exclude} for row in queryset.order_by("pk").values()]

    return {
        "roadmaps": rows(Roadmap.objects),
        "deconstructions": rows(SkillDeconstruction.objects),
        "progress": rows(MilestoneProgress.objects),
        "practice": rows(PracticeActivity.objects),
        "events": rows(UsageEvent.objects),
        "feedback": rows(Feedback.objects),
        "agent_requests": rows(AgentApiRequest.objects),
        "keys": rows(APIKey.objects, exclude=("last_used_at",)),
        "unlocks": rows(SkillUnlock.objects),
        # The probes' skills (the roadmap engine registers its own generator skill when it runs).
        "skills": rows(Skill.objects.filter(skill_id__in=SKILLS)),
        "versions": rows(SkillVersion.objects.filter(skill_id__in=SKILLS)),
    }


def victims_part(snapshot: dict, victim_id: int) -> dict:
    """The victim's rows of a snapshot, with the shared ones (registry, unlocks)."""
    part = {name: snapshot[name] for name in ("unlocks", "skills", "versions")}
    part["roadmaps"] = [r for r in snapshot["roadmaps"] if r["owner_id"] == victim_id]
    part["deconstructions"] = [d for d in snapshot["deconstructions"] if d["owner_id"] == victim_id]
    plans = {d["id"] for d in part["deconstructions"]}
    part["progress"] = [p for p in snapshot["progress"] if p["deconstruction_id"] in plans]
    progress = {p["id"] for p in part["progress"]}
    part["practice"] = [a for a in snapshot["practice"] if a["milestone_progress_id"] in progress]
    for name in ("events", "feedback", "agent_requests", "keys"):
        part[name] = [row for row in snapshot[name] if row["user_id"] == victim_id]
    return part


# What a probe expects when the key's scope covers the operation.
DENIED = "denied"  # an object of the victim in the path: 403 or 404
REFUSED = "refused"  # the victim's object named in the body: 400, 403 or 404, nothing written
OWN = "own"  # a list, a shared read or a write of the caller's own: anything but a 5xx
STAFF = "staff"  # staff only: 403


@dataclass(frozen=True)
class Probe:
    expect: str
    params: Callable[[dict], dict] = lambda ids: {}
    body: Callable[[dict], object] | None = None
    check: Callable[[object], None] | None = None  # more about a response the caller may get


def victim_unlock_not_shown(response) -> None:
    assert response.status_code == 404 or response.json()["unlocked"] is False


def locked_skill_not_available(response) -> None:
    names = {skill["name"] for skill in response.json()["results"]}
    assert OPEN_SKILL in names and LOCKED_SKILL not in names


def otlp_cost_for_the_victims_session(ids: dict) -> dict:
    return otlp_json([{**api_request(sequence=1, cost_usd=99.0), "session.id": ids["session"]}])


def event_attributed_to_the_victim(ids: dict) -> list:
    event = {"event_id": str(uuid.uuid4()), "skill_id": OPEN_SKILL, "outcome": "failure", "user": "victim",
             "session_id": ids["session"], "occurred_at": timezone.now().isoformat()}  # fmt: skip
    return [event]


def hook_call_in_the_victims_session(ids: dict) -> dict:
    """The hook's payload of a Skill call claiming the victim's session: it joins the caller's own uses only."""
    return {"session_id": ids["session"], "tool_name": "Skill", "tool_use_id": "toolu_victim",
            "tool_input": {"skill": OPEN_SKILL}, "tool_response": {"success": False, "error": "x"}}  # fmt: skip


PROBES: dict[str, Probe] = {
    "POST /api/agent-hook/": Probe(OWN, body=hook_call_in_the_victims_session),
    "GET /api/agent-sessions/": Probe(OWN),
    "GET /api/agent-sessions/{session_id}/": Probe(DENIED, lambda ids: {"session_id": ids["session"]}),
    "GET /api/analytics/effectiveness/": Probe(OWN),
    "GET /api/analytics/summary/": Probe(OWN),
    "GET /api/candidates/": Probe(STAFF),
    "GET /api/candidates/{id}/": Probe(STAFF, lambda ids: {"id": "1"}),
    "GET /api/cooccurrence/": Probe(STAFF),
    "GET /api/deconstructions/": Probe(OWN),
    "POST /api/deconstructions/": Probe(OWN, body=lambda ids: {"user_query": "learn to knit"}),
    "GET /api/deconstructions/{id}/": Probe(DENIED, lambda ids: {"id": ids["deconstruction"]}),
    "GET /api/events/": Probe(OWN),
    "POST /api/events/": Probe(REFUSED, body=event_attributed_to_the_victim),
    "GET /api/experiments/": Probe(OWN),
    "POST /api/experiments/": Probe(STAFF, body=lambda ids: {"skill": OPEN_SKILL}),
    "GET /api/experiments/{id}/": Probe(DENIED, lambda ids: {"id": "1"}),
    "GET /api/experiments/{id}/results/": Probe(DENIED, lambda ids: {"id": "1"}),
    "POST /api/experiments/{id}/promote/": Probe(STAFF, lambda ids: {"id": "1"}, lambda ids: {}),
    "POST /api/experiments/{id}/start/": Probe(STAFF, lambda ids: {"id": "1"}, lambda ids: {}),
    "POST /api/experiments/{id}/stop/": Probe(STAFF, lambda ids: {"id": "1"}, lambda ids: {}),
    "GET /api/feedback/": Probe(OWN),
    "POST /api/feedback/": Probe(
        REFUSED, body=lambda ids: {"skill_id": OPEN_SKILL, "event_id": ids["event"], "rating": 1, "notes": "x"}
    ),
    "GET /api/milestone-progress/": Probe(OWN),
    "GET /api/milestone-progress/{id}/": Probe(DENIED, lambda ids: {"id": ids["progress"]}),
    "PATCH /api/milestone-progress/{id}/": Probe(
        DENIED, lambda ids: {"id": ids["progress"]}, lambda ids: {"notes": "overwritten"}
    ),
    "POST /api/milestone-progress/{id}/complete/": Probe(DENIED, lambda ids: {"id": ids["progress"]}, lambda ids: {}),
    "POST /api/milestone-progress/{id}/fail/": Probe(DENIED, lambda ids: {"id": ids["progress"]}, lambda ids: {}),
    "POST /api/milestone-progress/{id}/reset/": Probe(DENIED, lambda ids: {"id": ids["progress"]}, lambda ids: {}),
    "POST /api/milestone-progress/{id}/start/": Probe(DENIED, lambda ids: {"id": ids["progress"]}, lambda ids: {}),
    "POST /api/otel/v1/logs": Probe(OWN, body=otlp_cost_for_the_victims_session),
    "GET /api/plan-catalog/": Probe(OWN),
    "GET /api/plan-catalog/{id}/": Probe(OWN, lambda ids: {"id": "juggling"}),
    "GET /api/practice-activities/": Probe(OWN),
    "POST /api/practice-activities/": Probe(
        REFUSED,
        body=lambda ids: {"milestone_progress": ids["progress"], "activity_type": "reading", "title": "x", "reps": 1},
    ),
    "GET /api/practice-activities/export/": Probe(OWN),
    "GET /api/practice-activities/{id}/": Probe(DENIED, lambda ids: {"id": ids["activity"]}),
    "PATCH /api/practice-activities/{id}/": Probe(
        DENIED, lambda ids: {"id": ids["activity"]}, lambda ids: {"title": "overwritten"}
    ),
    "DELETE /api/practice-activities/{id}/": Probe(DENIED, lambda ids: {"id": ids["activity"]}),
    "GET /api/roadmaps/": Probe(OWN),
    "POST /api/roadmaps/": Probe(REFUSED, body=lambda ids: {"deconstruction": ids["deconstruction"]}),
    "GET /api/roadmaps/{id}/": Probe(DENIED, lambda ids: {"id": ids["roadmap"]}),
    "PUT /api/roadmaps/{id}/": Probe(
        DENIED, lambda ids: {"id": ids["roadmap"]}, lambda ids: {"title": "overwritten", "description": ""}
    ),
    "PATCH /api/roadmaps/{id}/": Probe(DENIED, lambda ids: {"id": ids["roadmap"]}, lambda ids: {"archived": True}),
    "DELETE /api/roadmaps/{id}/": Probe(DENIED, lambda ids: {"id": ids["roadmap"]}),
    "GET /api/roadmaps/{id}/export/": Probe(DENIED, lambda ids: {"id": ids["roadmap"]}),
    "GET /api/roadmaps/{id}/progress/": Probe(DENIED, lambda ids: {"id": ids["roadmap"]}),
    "GET /api/sessions/{session_id}/": Probe(DENIED, lambda ids: {"session_id": ids["session"]}),
    "GET /api/skills/": Probe(OWN),
    "GET /api/skills/available/": Probe(OWN, check=locked_skill_not_available),
    "GET /api/skills/{skill_id}/": Probe(OWN, lambda ids: {"skill_id": OPEN_SKILL}),
    "GET /api/skills/{skill_id}/access/": Probe(
        OWN, lambda ids: {"skill_id": LOCKED_SKILL}, check=lambda response: victim_unlock_not_shown(response)
    ),
    "GET /api/skills/{skill_id}/bundle/": Probe(DENIED, lambda ids: {"skill_id": LOCKED_SKILL}),
    "GET /api/skills/{skill_id}/content/": Probe(DENIED, lambda ids: {"skill_id": LOCKED_SKILL}),
    "GET /api/skills/{skill_id}/versions/": Probe(OWN, lambda ids: {"skill_id": OPEN_SKILL}),
    "GET /api/skills/{skill_id}/versions/{version}/": Probe(
        OWN, lambda ids: {"skill_id": OPEN_SKILL, "version": "1.0.0"}
    ),
    "POST /api/skills/{skill_id}/versions/{version}/acknowledge/": Probe(
        STAFF, lambda ids: {"skill_id": OPEN_SKILL, "version": "1.0.0"}, lambda ids: {"reason": "x"}
    ),
    "GET /api/skills/{skill_id}/compare/": Probe(OWN, lambda ids: {"skill_id": OPEN_SKILL}),
    "GET /api/unlocks/": Probe(OWN, check=lambda response: None),
    "GET /api/unlocks/{skill_id}/": Probe(
        OWN, lambda ids: {"skill_id": LOCKED_SKILL}, check=lambda response: victim_unlock_not_shown(response)
    ),
}
ALLOWED = {
    DENIED: {403, 404},
    REFUSED: {400, 403, 404},
    STAFF: {403},
}
OPERATIONS = schema_operations()


def send(client: APIClient, operation: Operation, probe: Probe, ids: dict):
    """The probe's request; returns the answer and what was sent (an answer may echo that back)."""
    url = operation.path.format(**probe.params(ids))
    method = getattr(client, operation.method)
    if probe.body is None:
        return method(url), url
    body = probe.body(ids)
    return method(url, body, format="json"), url + json.dumps(body)


def test_every_operation_of_the_schema_has_a_probe():
    assert {str(op) for op in OPERATIONS} == set(PROBES)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """One world for every operation: built in a transaction that each test's own (a savepoint)
    nests in, rolled back when the module is done."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield build_world()
        transaction.set_rollback(True)


@pytest.mark.parametrize("operation", OPERATIONS, ids=str)
def test_a_second_learner_with_any_key_cannot_read_or_change_the_first_learners_objects(world, operation):
    probe = PROBES[str(operation)]
    needed = operation.view.cls.key_scopes[operation.name]
    for scope, secret in world.keys.items():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
        before = state()
        response, sent = send(client, operation, probe, world.ids)
        after = state()
        where = f"{operation} with a {scope} key"
        assert response.status_code < 500, where
        body = response.content.decode(errors="replace")
        leaked = [s for s in world.secrets if s in body and s not in sent]
        assert not leaked, f"{where}: the victim's data in the answer"
        assert victims_part(after, world.victim.pk) == victims_part(before, world.victim.pk), f"{where}: changed"
        if not scope_allows(scope, needed):
            assert response.status_code == 403, where
            refusal = SCOPE_REFUSED.format(scope=scope, operation=operation.name, needed=needed)
            assert response.json()["detail"] == refusal, where
            assert after == before, f"{where}: refused, yet something changed"
            continue
        if probe.expect in ALLOWED:
            assert response.status_code in ALLOWED[probe.expect], f"{where}: {response.status_code} {body[:200]}"
            assert after == before, f"{where}: refused, yet something changed"
        if probe.check and response.status_code < 400:
            probe.check(response)
        assert not [u for u in after["unlocks"] if u["user_id"] == world.attacker.pk], f"{where}: an unlock"


def test_a_staff_members_narrow_key_stays_narrow(admin_user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_key_of(admin_user, Scope.INGEST)}")
    assert client.get("/api/candidates/").status_code == 403
    assert client.get("/api/roadmaps/").status_code == 403
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_key_of(admin_user, Scope.READ)}")
    assert client.get("/api/candidates/").status_code == 200
    assert client.post("/api/deconstructions/", {"user_query": "learn to knit"}, format="json").status_code == 403
    assert not SkillDeconstruction.objects.filter(owner=admin_user).exists()
