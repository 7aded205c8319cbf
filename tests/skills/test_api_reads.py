"""The seeds' remaining reads for REST clients: emergence candidates, co-occurring skill sets (staff
only) and one of the caller's sessions, skill by skill."""

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from skills.api.sessions import SESSION_NOT_FOUND, SessionOutcomesSerializer
from skills.ingestion.record import usage_events_record
from skills.models import AgentApiRequest, CandidateStatus, EmergenceCandidate, Outcome
from skills.selectors.candidates import candidate_lifts
from skills.services.emergence import emergence_mine
from tests.factories import EmergenceCandidateFactory, UserFactory

pytestmark = pytest.mark.django_db

START = datetime.now(UTC).replace(microsecond=0) - timedelta(days=3)


@pytest.fixture
def staff_client(admin_user):
    client = APIClient()
    client.force_authenticate(admin_user)
    return client


def event(skill: str, session: str, minute: int, outcome: str = "success", **fields) -> dict:
    return {
        "event_id": str(uuid.uuid4()),
        "skill_id": skill,
        "session_id": session,
        "outcome": outcome,
        "state_snapshot": {"tier": "standard", "element": "fire", "realm": "code"},
        "occurred_at": (START + timedelta(minutes=minute)).isoformat(),
        **fields,
    }


def plant(count: int, skills: tuple[str, ...], prefix: str, user=None) -> None:
    """`count` sessions in which every skill of the set succeeds."""
    events = [event(skill, f"{prefix}-{n}", k) for n in range(count) for k, skill in enumerate(skills)]
    usage_events_record(events=events, user=user, registers=True)


# --- /api/candidates/ ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/api/candidates/", "/api/cooccurrence/"])
def test_the_emergence_reads_are_for_staff_only(user_client, api_client, url):
    EmergenceCandidateFactory()
    assert user_client.get(url).status_code == 403
    assert api_client.get(url).status_code == 401


def test_staff_read_every_candidate_with_its_figures(staff_client, admin_user):
    plant(10, ("a", "b"), "ab", user=UserFactory())
    plant(10, ("c", "d"), "cd")
    emergence_mine(full=True)
    pair, other = EmergenceCandidate.objects.get(skills=["a", "b"]), EmergenceCandidate.objects.get(skills=["c", "d"])
    rejected = EmergenceCandidateFactory(status=CandidateStatus.REJECTED, support_count=1, reviewed_by=admin_user)

    rows = staff_client.get("/api/candidates/").data["results"]

    assert [row["id"] for row in rows] == [*sorted([pair.pk, other.pk]), rejected.pk]
    row = next(row for row in rows if row["id"] == pair.pk)
    assert row["skills"] == ["a", "b"] and (row["tier"], row["element"], row["realm"]) == ("standard", "fire", "code")
    assert (row["status"], row["support_count"], row["distinct_users"]) == (pair.status, 10, 1)
    assert (row["avg_success_rate"], row["field_coherence"]) == (1.0, 1.0)
    assert row["lift"] == candidate_lifts([pair])[pair.pk] == 2.0
    assert row["first_seen"] and row["last_seen"]
    assert rows[2]["reviewed_by"] == admin_user.username and rows[2]["lift"] is None
    detail = staff_client.get(f"/api/candidates/{pair.pk}/").data
    assert detail == row


def test_candidates_filter_by_status_and_skill(staff_client):
    review = EmergenceCandidateFactory(skills=["pdf", "summarize"], status=CandidateStatus.REVIEW)
    EmergenceCandidateFactory(skills=["pdf", "translate"], status=CandidateStatus.MONITORING)
    EmergenceCandidateFactory(skills=["pdf-extract", "x"], status=CandidateStatus.REVIEW)
    assert [r["id"] for r in staff_client.get("/api/candidates/?status=review&skill=pdf").data["results"]] == [
        review.pk
    ]
    assert staff_client.get("/api/candidates/?status=nonsense").status_code == 400


@pytest.mark.parametrize("candidates", [3, 30])
def test_the_candidate_list_costs_the_same_queries_for_any_number(staff_client, django_assert_num_queries, candidates):
    for n in range(candidates):
        EmergenceCandidateFactory(skills=[f"s{n}", f"t{n}"], reviewed_by=UserFactory())
    # the count, the page (reviewer joined, distinct users a subquery), the sessions for the lift, the members'
    # session counts for the lift
    with django_assert_num_queries(4):
        response = staff_client.get("/api/candidates/")
    assert len(response.data["results"]) == candidates


# --- /api/cooccurrence/ -------------------------------------------------------------------------------------


def mine_sets() -> None:
    plant(4, ("pdf", "summarize"), "ps")
    plant(2, ("pdf", "summarize", "translate"), "pst")
    plant(3, ("csv", "plot"), "cp")
    usage_events_record(events=[event("pdf", "alone", 0), event("summarize", "alone", 1, outcome="failure")])
    emergence_mine(full=True)


def test_cooccurrence_lists_the_sets_that_succeeded_together_with_their_counts(staff_client):
    mine_sets()
    rows = staff_client.get("/api/cooccurrence/").data["results"]
    assert [(row["skills"], row["sessions"]) for row in rows] == [
        (["pdf", "summarize"], 4),
        (["csv", "plot"], 3),
        (["pdf", "summarize", "translate"], 2),
    ]
    first = rows[0]
    assert (first["tier"], first["element"], first["realm"]) == ("standard", "fire", "code")
    assert (first["success_events"], first["total_events"], first["success_rate"]) == (8, 8, 1.0)
    candidate = EmergenceCandidate.objects.get(skills=["pdf", "summarize"])
    assert first["candidate"] == {"id": candidate.pk, "status": candidate.status}
    assert rows[2]["candidate"] is None  # two sessions: under EMERGENCE_MIN_SUPPORT


def test_cooccurrence_filters_by_skill_and_by_sessions(staff_client):
    mine_sets()
    by_skill = staff_client.get("/api/cooccurrence/?skill=translate").data["results"]
    assert [row["skills"] for row in by_skill] == [["pdf", "summarize", "translate"]]
    assert staff_client.get("/api/cooccurrence/?skill=summ").data["results"] == []
    frequent = staff_client.get("/api/cooccurrence/?min_sessions=3").data["results"]
    assert [row["skills"] for row in frequent] == [["pdf", "summarize"], ["csv", "plot"]]
    response = staff_client.get("/api/cooccurrence/?min_sessions=0")
    assert response.status_code == 400 and "min_sessions" in response.data["errors"]


@pytest.mark.parametrize("sessions", [3, 30])
def test_cooccurrence_costs_the_same_queries_for_any_number(staff_client, django_assert_num_queries, sessions):
    for n in range(sessions):
        plant(2, (f"a{n}", f"b{n}"), f"set{n}")
    emergence_mine(full=True)
    # the count of sets, the page of sets (their candidate subqueries inline)
    with django_assert_num_queries(2):
        response = staff_client.get("/api/cooccurrence/")
    assert response.data["count"] == sessions


# --- /api/sessions/{session_id}/ ----------------------------------------------------------------------------


def record_session(user) -> None:
    events = [
        event("pdf", "s-1", 0, latency_ms=400, tokens_used=1000, tokens_saved=100, cost_usd="0.010000"),
        event("summarize", "s-1", 1, outcome="failure", latency_ms=900, tokens_used=500, cost_usd="0.005000",
              error_type="Timeout"),
        event("pdf", "s-1", 2, outcome="error", tokens_used=10, cost_usd="0.000100", skill_version="2.0.0"),
        event("summarize", "s-1", 3, latency_ms=300, tokens_used=700, cost_usd="0.007000"),
        event("pdf", "other-session", 4),
    ]  # fmt: skip
    usage_events_record(events=events, user=user, registers=True)


def test_a_session_lists_its_skills_in_order_with_outcomes_latency_tokens_and_cost(user, user_client):
    record_session(user)
    usage_events_record(
        events=[event("translate", "s-1", 5)], user=UserFactory(), registers=True
    )  # same id, another learner

    body = user_client.get("/api/sessions/s-1/").data

    assert (body["session_id"], body["events"], body["steps_omitted"]) == ("s-1", 4, 0)
    assert [row["skill_id"] for row in body["skills"]] == ["pdf", "summarize"]
    pdf, summarize = body["skills"]
    assert pdf["invocations"] == 2 and pdf["outcomes"] == {"success": 1, "failure": 0, "error": 1, "abandoned": 0}
    assert (pdf["latency_ms_total"], pdf["latency_ms_avg"]) == (400, 400.0)
    assert (pdf["tokens_used"], pdf["tokens_saved"], pdf["cost_usd"]) == (1010, 100, "0.010100")
    assert summarize["outcomes"] == {"success": 1, "failure": 1, "error": 0, "abandoned": 0}
    assert (summarize["latency_ms_avg"], summarize["cost_usd"]) == (600.0, "0.012000")
    steps = [(s["skill_id"], s["outcome"], s["latency_ms"], s["skill_version"]) for s in body["steps"]]
    assert steps == [
        ("pdf", "success", 400, None),
        ("summarize", "failure", 900, None),
        ("pdf", "error", None, "2.0.0"),
        ("summarize", "success", 300, None),
    ]
    assert body["steps"][1]["error_type"] == "Timeout"
    assert body["totals"] == {"latency_ms": 1600, "tokens_used": 2210, "tokens_saved": 100, "cost_usd": "0.022100"}
    assert body["started_at"] < body["ended_at"]
    assert body["model_requests"] == {
        "count": 0,
        "errors": 0,
        "input_tokens": 0,
        "output_tokens": 0,
        "cost_usd": "0.000000",
    }


def test_a_session_includes_the_agents_model_requests(user, user_client):
    record_session(user)
    AgentApiRequest.objects.create(
        user=user, record_key=uuid.uuid4(), session_id="s-1", input_tokens=300, output_tokens=50,
        cost_usd=Decimal("0.02"), occurred_at=START + timedelta(minutes=10),
    )  # fmt: skip
    body = user_client.get("/api/sessions/s-1/").data
    assert body["model_requests"] == {
        "count": 1,
        "errors": 0,
        "input_tokens": 300,
        "output_tokens": 50,
        "cost_usd": "0.020000",
    }
    assert body["ended_at"] == (START + timedelta(minutes=10)).isoformat().replace("+00:00", "Z")


def test_another_learners_session_is_a_404(user, user_client):
    usage_events_record(events=[event("pdf", "theirs", 0)], user=UserFactory(), registers=True)
    response = user_client.get("/api/sessions/theirs/")
    assert response.status_code == 404 and response.data["detail"] == SESSION_NOT_FOUND
    assert user_client.get("/api/sessions/never-seen/").status_code == 404
    assert APIClient().get("/api/sessions/theirs/").status_code == 401


@pytest.mark.parametrize("events", [3, 40])
def test_a_session_costs_three_queries_whatever_its_length(user, user_client, django_assert_num_queries, events):
    usage_events_record(events=[event(f"skill-{n % 5}", "long", n) for n in range(events)], user=user, registers=True)
    # the skills grouped, the model requests summed, the steps with their versions
    with django_assert_num_queries(3):
        body = user_client.get("/api/sessions/long/").data
    assert body["events"] == len(body["steps"]) == events


def test_a_long_session_shows_its_first_steps_and_counts_the_rest(user, user_client, monkeypatch):
    monkeypatch.setattr("skills.selectors.sessions.SESSION_STEPS_SHOWN", 3)
    usage_events_record(events=[event("pdf", "long", n) for n in range(5)], user=user, registers=True)
    body = user_client.get("/api/sessions/long/").data
    assert (len(body["steps"]), body["steps_omitted"], body["events"]) == (3, 2, 5)


def test_the_outcome_counts_name_every_outcome():
    assert set(SessionOutcomesSerializer().fields) == set(Outcome.values)
