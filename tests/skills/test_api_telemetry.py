"""POST/GET /api/events/, POST /api/feedback/, and the analytics endpoints."""

import json
from datetime import timedelta

import pytest
from rest_framework.test import APIClient

from skills.ingestion.events import BATCH_TOO_LARGE
from skills.ingestion.record import usage_events_record
from skills.models import Skill, SkillMetrics, UsageEvent
from tests.factories import OperatorFactory
from tests.skills.telemetry_helpers import BASE_TIME, HOURS_APART, aggregates_snapshot, event_payload

# Ingestion itself: the events name skills nobody registered, as an operator's may.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("user_registers_skills")]


def test_posting_one_event_stores_it_for_the_caller(user, user_client):
    response = user_client.post("/api/events/", event_payload(1), format="json")
    assert response.status_code == 201
    assert response.data == {"received": 1, "created": 1, "duplicates": 0, "held": 0}
    assert UsageEvent.objects.get().user == user


def test_posting_a_batch_then_retrying_it_counts_once(user_client):
    batch = [event_payload(n) for n in range(25)]
    assert user_client.post("/api/events/", batch, format="json").status_code == 201
    before = aggregates_snapshot()
    retry = user_client.post("/api/events/", batch, format="json")
    assert retry.status_code == 200
    assert retry.data == {"received": 25, "created": 0, "duplicates": 25, "held": 0}
    assert aggregates_snapshot() == before


def test_a_bad_batch_gets_400_listing_each_bad_item_and_writes_nothing(user_client):
    batch = [event_payload(0), event_payload(1, event_id="nope"), event_payload(2, received_at="2026-01-01T00:00:00Z")]
    response = user_client.post("/api/events/", batch, format="json")
    assert response.status_code == 400
    errors = response.data["errors"]
    assert [(e["index"], [k for k in e if k != "index"]) for e in errors] == [(1, ["event_id"]), (2, ["received_at"])]
    assert UsageEvent.objects.count() == 0 and Skill.objects.count() == 0


def test_a_reused_event_id_with_another_payload_is_409(user_client):
    event = event_payload(1)
    user_client.post("/api/events/", event, format="json")
    response = user_client.post("/api/events/", {**event, "outcome": "error"}, format="json")
    assert response.status_code == 409
    assert response.data["errors"][0]["event_id"] == event["event_id"]
    assert UsageEvent.objects.count() == 1


def test_a_batch_over_the_limit_is_413(user_client, settings):
    settings.EVENTS_MAX_BATCH = 3
    response = user_client.post("/api/events/", [event_payload(n) for n in range(4)], format="json")
    assert response.status_code == 413
    assert response.data["detail"] == BATCH_TOO_LARGE.format(limit=3, size=4)


@pytest.mark.parametrize("body", [[], [1, 2], "text"])
def test_a_body_that_is_not_events_is_400(user_client, body):
    assert user_client.post("/api/events/", body, format="json").status_code == 400


def test_an_event_stored_from_a_payload_dict_is_the_same_payload_when_posted_as_json(user, user_client):
    # The API decodes a valid body straight into events, other callers pass dicts: one hash for both.
    payload = event_payload(3, cost_usd=0.0042, latency_ms=840)
    usage_events_record(events=[payload], user=user)
    response = user_client.post("/api/events/", [payload], format="json")
    assert response.status_code == 200
    assert response.data == {"received": 1, "created": 0, "duplicates": 1, "held": 0}


def test_a_batch_in_another_charset_is_parsed_too(user_client):
    # Not UTF-8: "é" is the single byte 0xE9.
    body = json.dumps([event_payload(1, workflow_path="café/plan")], ensure_ascii=False).encode("latin-1")
    response = user_client.post("/api/events/", body, content_type="application/json; charset=latin-1")
    assert response.status_code == 201
    assert UsageEvent.objects.get().workflow_path == "café/plan"


def test_malformed_json_is_400_naming_the_parse_error(user_client):
    response = user_client.post("/api/events/", b'[{"event_id": ', content_type="application/json")
    assert response.status_code == 400
    assert response.data["detail"].startswith("JSON parse error")


def test_events_list_shows_only_the_callers_events_with_filters(user, user_client):
    usage_events_record(events=[event_payload(n, skill_id="mine") for n in range(6)], user=user)
    usage_events_record(events=[event_payload(n, skill_id="theirs") for n in range(3)], user=OperatorFactory())

    def listed(query: str = "") -> list:
        return user_client.get(f"/api/events/{query}").data["results"]

    assert len(listed()) == 6
    assert listed("?skill=theirs") == []
    assert len(listed("?outcome=success")) == 3
    assert len(listed("?session=session-1")) == 1
    after = (BASE_TIME + timedelta(hours=1.5 * HOURS_APART)).isoformat().replace("+00:00", "Z")
    assert len(listed(f"?occurred_after={after}")) == 4


def test_events_are_listed_newest_first_by_cursor_pages_that_miss_and_repeat_nothing(user, user_client):
    usage_events_record(events=[event_payload(n) for n in range(120)], user=user)
    seen, url = [], "/api/events/"
    while url:
        page = user_client.get(url).data
        assert "count" not in page  # never counts the log
        seen += [event["event_id"] for event in page["results"]]
        url = page["next"]
    stored = UsageEvent.objects.order_by("-occurred_at", "-id").values_list("event_id", flat=True)
    assert seen == [str(event_id) for event_id in stored]
    oldest_first = user_client.get("/api/events/?ordering=occurred_at").data["results"]
    assert oldest_first[0]["occurred_at"] <= oldest_first[-1]["occurred_at"]


def test_events_are_searchable_by_workflow_path(user, user_client):
    usage_events_record(
        events=[
            event_payload(0, workflow_path="plan/review/execute"),
            event_payload(1, workflow_path="quick"),
            event_payload(2, workflow_path="review only"),
        ],
        user=user,
    )
    found = user_client.get("/api/events/?q=review").data["results"]
    assert sorted(e["workflow_path"] for e in found) == ["plan/review/execute", "review only"]


def test_events_list_query_count_does_not_grow(user, user_client, django_assert_num_queries):
    usage_events_record(events=[event_payload(n) for n in range(40)], user=user)
    # one page of events joined with their version; no count
    with django_assert_num_queries(1):
        assert user_client.get("/api/events/").status_code == 200


def test_feedback_is_stored_and_moves_the_rating(user, user_client):
    usage_events_record(events=[event_payload(0, skill_id="pdf")], user=user)
    event_id = UsageEvent.objects.get().event_id
    response = user_client.post(
        "/api/feedback/", {"skill_id": "pdf", "rating": 4, "tags": ["fast"], "event_id": str(event_id)}, format="json"
    )
    assert response.status_code == 201, response.data
    assert SkillMetrics.objects.get(skill_id="pdf").avg_rating == 4


@pytest.mark.parametrize(
    "payload, field, status",
    [({"skill_id": "pdf", "rating": 6}, "rating", 400), ({"skill_id": "no pe", "rating": 3}, "skill_id", 400)],
)
def test_bad_feedback_is_refused_naming_the_field(user_client, payload, field, status):
    usage_events_record(events=[event_payload(0, skill_id="pdf")], user=None)
    response = user_client.post("/api/feedback/", payload, format="json")
    assert response.status_code == status
    assert field in response.data["errors"]


def test_feedback_cannot_name_another_users_event(user_client):
    usage_events_record(events=[event_payload(0, skill_id="pdf")], user=OperatorFactory())
    event_id = UsageEvent.objects.get().event_id
    response = user_client.post("/api/feedback/", {"skill_id": "pdf", "event_id": str(event_id)}, format="json")
    assert response.status_code == 404 and "event_id" in response.data["errors"]


def seed_events(n_events: int) -> None:
    users = [OperatorFactory() for _ in range(3)]
    batch = [event_payload(n, skill_id=f"skill-{n % 4}") for n in range(n_events)]
    for start in range(0, n_events, 100):
        usage_events_record(events=batch[start : start + 100], user=users[start % 3])


@pytest.mark.parametrize("n_events", [20, 400])
def test_effectiveness_runs_a_fixed_number_of_queries(user_client, django_assert_num_queries, n_events):
    seed_events(n_events)
    # count, one page of metrics joined with skills
    with django_assert_num_queries(2):
        response = user_client.get("/api/analytics/effectiveness/?ordering=-total_invocations")
    assert response.status_code == 200
    rows = response.data["results"]
    assert sum(row["total_uses"] for row in rows) == n_events
    assert {"success_rate_pct", "avg_latency_ms", "avg_rating", "unique_users", "first_use", "last_use"} <= set(rows[0])


def test_effectiveness_is_sortable(user_client):
    seed_events(40)
    rows = user_client.get("/api/analytics/effectiveness/?ordering=skill_id").data["results"]
    assert [row["skill_id"] for row in rows] == ["skill-0", "skill-1", "skill-2", "skill-3"]


@pytest.mark.parametrize("n_events", [20, 400])
def test_summary_runs_a_fixed_number_of_queries(admin_user, django_assert_num_queries, n_events):
    seed_events(n_events)
    staff = APIClient()
    staff.force_authenticate(admin_user)
    # sums over metrics, the most used skill, error and path counters, the skill count, the oldest queued event
    with django_assert_num_queries(5):
        summary = staff.get("/api/analytics/summary/").data
    assert summary["total_invocations"] == n_events
    assert summary["most_used_skill"] == "skill-0"
    assert summary["top_error_types"][0]["error_type"] == "Timeout"
    assert 0 <= summary["overall_completion_rate"] <= 100


def test_a_learners_summary_shows_only_the_free_text_three_users_sent(user_client, django_assert_num_queries):
    seed_events(20)  # three operators, but the 20 events are all the first one's
    with django_assert_num_queries(5):  # as staff's
        summary = user_client.get("/api/analytics/summary/").data
    assert (summary["top_error_types"], summary["top_workflow_paths"]) == ([], [])
    assert summary["total_invocations"] == 20
    seed_events(400)
    summary = user_client.get("/api/analytics/summary/").data
    assert summary["top_error_types"] == [{"error_type": "Timeout", "count": 84}]


def test_a_nul_character_is_refused_with_the_field_named(user_client):
    response = user_client.post("/api/events/", event_payload(0, state_snapshot={"tier": "a\u0000b"}), format="json")
    assert response.status_code == 400
    assert list(response.data["errors"][0]) == ["index", "state_snapshot"]


def test_the_text_backslash_u0000_is_not_a_nul_character(user_client):
    literal = "C:\\u0000\\logs"  # a backslash followed by "u0000": six ordinary characters
    response = user_client.post("/api/events/", event_payload(0, workflow_path=literal), format="json")
    assert response.status_code == 201
    assert UsageEvent.objects.get().workflow_path == literal
