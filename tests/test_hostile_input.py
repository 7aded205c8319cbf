"""The hostile-input suite (issue 24, "Done when"): every writable operation of /api/schema/, and
the OTLP intake, under the inputs an attacker sends — nesting 100,000 deep, bodies over the size
limit, NUL in bodies and in paths, lone surrogates, huge and non-finite numbers, times outside the
calendar, oversized strings and lists. Each is a 4xx naming the problem, and nothing is stored:
every table is compared before and after. How long each takes is measured in
bench/hostile_input.py, never asserted here.

Generic attacks walk the schema, so an operation added later is attacked too; field attacks start
from a valid body of each operation (VALID_BODIES, checked to be accepted first) and spoil one
field at a time.
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest
from django.apps import apps
from django.utils import timezone
from rest_framework.test import APIClient

from roadmaps.models import MilestoneProgress
from roadmaps.services.practice import practice_activity_log
from tests.factories import SkillFactory, UserFactory, make_roadmap
from tests.roadmaps.plans import plan
from tests.skills.otlp_helpers import otlp_json, skill_result

pytestmark = pytest.mark.django_db

WRITE_METHODS = ("post", "put", "patch")
HUGE_STRING = "x" * 1_000_000
NAN = "__non_finite__"  # replaced by a bare NaN / Infinity token in the raw body


@pytest.fixture
def learner():
    return UserFactory()


@pytest.fixture
def api(learner) -> APIClient:
    client = APIClient()
    client.force_authenticate(learner)
    return client


@pytest.fixture
def objects(learner) -> dict[str, str]:
    """The learner's own objects that path parameters name."""
    SkillFactory(skill_id="pdf-extract")
    roadmap = make_roadmap(learner)
    progress = MilestoneProgress.objects.filter(deconstruction=roadmap.deconstruction).order_by("milestone_id")[0]
    session = practice_activity_log(progress=progress, activity_type="drill", title="warm-up", reps=0)
    return {"roadmap": str(roadmap.pk), "progress": str(progress.pk), "practice": str(session.pk)}


def valid_bodies(objects: dict[str, str]) -> dict[tuple[str, str], object]:
    """A body each writable operation accepts (checked by test_each_valid_body_is_accepted)."""
    an_hour_ago = (timezone.now() - timedelta(hours=1)).isoformat()
    return {
        ("post", "/api/deconstructions/"): {"user_query": "learn", "skill_name": "It", "deconstruction_data": plan()},
        ("post", "/api/events/"): [
            {"event_id": str(uuid.uuid4()), "skill_id": "pdf-extract", "outcome": "success", "latency_ms": 10,
             "session_id": "s-1", "workflow_path": "load/parse", "error_type": "", "follow_up_actions": ["commit"],
             "tokens_used": 5, "cost_usd": "0.01", "occurred_at": an_hour_ago, "project_path": "/src"}
        ],
        ("post", "/api/feedback/"): {"skill_id": "pdf-extract", "rating": 4, "tags": ["fast"], "notes": "good"},
        ("patch", "/api/milestone-progress/{id}/"): {"notes": "steady"},
        ("post", "/api/practice-activities/"): {
            "milestone_progress": objects["progress"], "activity_type": "drill", "title": "t", "description": "d",
            "reps": 0, "completion_time": 5, "difficulty_rating": 3, "user_notes": "u",
        },
        ("patch", "/api/practice-activities/{id}/"): {"title": "t2", "completion_time": 6, "user_notes": "u2"},
        ("post", "/api/roadmaps/"): {"user_query": "learn to juggle", "title": "t", "description": "d"},
        ("put", "/api/roadmaps/{id}/"): {"title": "t", "description": "d", "archived": False},
        ("patch", "/api/roadmaps/{id}/"): {"title": "t"},
        ("post", "/api/otel/v1/logs"): otlp_json([skill_result("pdf-extract", sequence=1)]),
        ("post", "/api/agent-hook/"): {"session_id": "s-1", "tool_name": "Skill", "tool_use_id": "toolu_1",
                                       "tool_input": {"skill": "pdf-extract"}, "cwd": "/src"},
    }  # fmt: skip


def url_of(path: str, objects: dict[str, str]) -> str:
    if "{id}" not in path:
        return path
    kind = "roadmap" if "roadmaps" in path else "progress" if "milestone-progress" in path else "practice"
    return path.replace("{id}", objects[kind])


def writable_operations(api: APIClient) -> list[tuple[str, str, dict]]:
    schema = api.get("/api/schema/?format=json").json()
    return [
        (method, path, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in WRITE_METHODS and operation.get("requestBody")
    ]


def snapshot() -> dict[str, list]:
    """Every row of every table, to compare before and after."""
    return {
        model._meta.label: sorted(map(repr, model.objects.order_by("pk").values_list()))
        for model in apps.get_models()
        if model._meta.managed and not model._meta.proxy
    }


def send(api: APIClient, method: str, url: str, body: object):
    raw = body if isinstance(body, bytes) else json.dumps(body).replace(f'"{NAN}"', "NaN").encode()
    return getattr(api, method)(url, raw, content_type="application/json")


def assert_refused(response, *, naming: str | None = None) -> None:
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:300])
    if naming is not None:
        assert naming in response.content.decode("utf-8", errors="replace"), response.content[:300]


def test_each_valid_body_is_accepted(api, objects):
    bodies = valid_bodies(objects)
    for (method, path), body in bodies.items():
        response = send(api, method, url_of(path, objects), body)
        assert response.status_code in (200, 201, 202), (method, path, response.content[:300])


def test_every_writable_operation_a_learner_may_call_has_a_valid_body_to_spoil(api, objects):
    """A new writable endpoint open to learners needs a body here, so the field attacks reach it; one
    that refuses a learner at the door (403, staff only) meets the generic attacks only."""
    known = set(valid_bodies(objects))
    before = snapshot()
    open_to_learners = {
        (method, path)
        for method, path, _ in writable_operations(api)
        if (method, path) in known
        or (
            path.replace("{id}", "").count("{") == 0 and send(api, method, url_of(path, objects), {}).status_code != 403
        )
    }  # paths naming other parameters (a skill's version) are attacked by the generic tests only
    assert snapshot() == before
    assert open_to_learners <= known


GENERIC_ATTACKS = {
    "nested 100,000 deep": (b"[" * 100_000 + b"]" * 100_000, "nested more than"),
    "over the size limit": (b'{"a": "' + b"x" * 10_485_761 + b'"}', "larger than"),
    "a bare NaN": (b'{"a": NaN}', None),
    "a bare Infinity": (b'{"a": Infinity}', None),
    "a number out of range": (b'{"a": 1e400}', None),
    "an encoded lone surrogate": (b'{"a": "\xed\xa0\x80"}', None),
    "an escaped lone surrogate": (b'{"a": "\\ud800"}', None),
    "not UTF-8": (b'{"a": "\xff\xfe"}', None),
}


@pytest.mark.parametrize("attack", list(GENERIC_ATTACKS))
def test_a_hostile_body_to_any_writable_operation_is_refused_and_stores_nothing(api, objects, attack):
    body, naming = GENERIC_ATTACKS[attack]
    before = snapshot()
    for method, path, _ in writable_operations(api):
        response = send(api, method, url_of(path, objects), body)
        assert_refused(response, naming=naming)
    assert snapshot() == before


@pytest.mark.parametrize("method", ["get", "post", "put", "patch", "delete"])
def test_a_nul_in_any_path_is_a_404_and_changes_nothing(api, objects, method):
    schema = api.get("/api/schema/?format=json").json()
    before = snapshot()
    paths = [path for path, item in schema["paths"].items() if method in item and "{" in path]
    assert paths or method in ("post", "put")
    for path in paths:
        url = path.split("{")[0] + "a%00b/" + path.split("}", 1)[1].lstrip("/")
        response = getattr(api, method)(url)
        assert response.status_code == 404, (method, url, response.content[:200])
    assert snapshot() == before


def spoiled(body, key: str, value):
    if isinstance(body, list):
        return [spoiled(body[0], key, value)]
    return {**body, key: value}


def field_attacks(value) -> list[tuple[str, object]]:
    """What an attacker puts in place of a valid value of this type."""
    if isinstance(value, bool):
        return [("a number", 2**80)]
    if isinstance(value, int):
        return [("2**80", 2**80), ("-2**80", -(2**80)), ("NaN", NAN), ("a string", "1")]
    if isinstance(value, str):
        return [("NUL", value + "\x00"), ("1,000,000 characters", HUGE_STRING), ("a number", 1e300)]
    if isinstance(value, list):
        return [("100,000 items", [value[0] if value else "x"] * 100_000), ("a NUL item", ["\x00"])]
    if isinstance(value, dict):
        return [("NUL inside", {"a": "\x00"}), ("a list", [])]
    return []


def field_cases(objects) -> list[tuple[str, str, str, str, object]]:
    cases = []
    for (method, path), body in valid_bodies(objects).items():
        if path == "/api/otel/v1/logs":
            continue  # records, not fields: tests/skills/test_intake_otlp_hostile.py
        fields = body[0] if isinstance(body, list) else body
        for key, value in fields.items():
            if key == "milestone_progress":
                continue  # an id: a bad one is a 404 (tests/roadmaps/test_api.py)
            cases += [(method, path, key, name, attack) for name, attack in field_attacks(value)]
    return cases


def test_every_field_of_every_writable_body_refuses_hostile_values_by_name(api, objects):
    bodies = valid_bodies(objects)
    before = snapshot()
    cases = field_cases(objects)
    for method, path, key, name, attack in cases:
        response = send(api, method, url_of(path, objects), spoiled(bodies[(method, path)], key, attack))
        if (key, name) in {("user_query", "1,000,000 characters")} or name == "NaN":
            assert_refused(response)  # a parse error or a length error: refused before the field is read
        else:
            assert_refused(response, naming=key)
    assert len(cases) > 80
    assert snapshot() == before


@pytest.mark.parametrize("when", ["0001-01-01T00:30:00+01:00", "9999-12-31T23:30:00-01:00", "1969-12-31T23:59:59Z",
                                  "2999-01-01T00:00:00Z", "2026-13-40T00:00:00Z"])  # fmt: skip
def test_an_event_time_outside_the_calendar_or_the_window_is_refused_by_name(api, objects, when):
    body = spoiled(valid_bodies(objects)[("post", "/api/events/")], "occurred_at", when)
    before = snapshot()
    assert_refused(send(api, "post", "/api/events/", body), naming="occurred_at")
    assert snapshot() == before


def _field(number: int, payload: bytes) -> bytes:
    """A length-delimited protobuf field."""
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _varint(n: int) -> bytes:
    out = b""
    while True:
        byte, n = n & 0x7F, n >> 7
        out += bytes([byte | (0x80 if n else 0)])
        if not n:
            return out


def test_a_deep_kvlist_in_an_otlp_protobuf_is_refused_and_stores_nothing(api):
    """An attribute value nested 500 levels deep in protobuf (the JSON form is depth-checked):
    AnyValue.kvlist_value (6) → KeyValueList.values (1) → KeyValue.value (2) → AnyValue …, written
    by hand because the protobuf library itself refuses to build it."""
    value = _field(1, b"bottom")
    for _ in range(500):
        value = _field(6, _field(1, _field(1, b"k") + _field(2, value)))
    record = _field(6, _field(1, b"deep") + _field(2, value))  # LogRecord.attributes
    body = _field(1, _field(2, _field(2, record)))  # resource_logs → scope_logs → log_records
    before = snapshot()
    response = api.post("/api/otel/v1/logs", body, content_type="application/x-protobuf")
    assert_refused(response, naming="protobuf")
    assert snapshot() == before
