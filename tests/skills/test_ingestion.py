"""Ingestion's contract with callers and clients: hostile input refused cleanly, event ids scoped
per user, the caller's transaction left as it was, every query visible to Django."""

import json
import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from skills.ingestion.errors import EventConflict, InvalidEvents
from skills.ingestion.events import FIELD_TOO_LARGE, TIME_IN_FUTURE, TIME_OUT_OF_RANGE, TIME_TOO_OLD
from skills.ingestion.fold import usage_rollups_fold
from skills.ingestion.record import usage_events_record
from skills.models import Skill, SkillMetrics, SkillVersion, UsageEvent, UsageEventPending
from skillsite.parsers import TOO_DEEP, TOO_LARGE
from tests.factories import (
    OperatorFactory,
    PracticeActivityFactory,
    RoadmapFactory,
    SkillFactory,
    make_experiment,
    progress_of,
)
from tests.skills.telemetry_helpers import event_payload

# Ingestion itself: the events name skills nobody registered, as an operator's may.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("user_registers_skills")]


# --- hostile bodies: a clear 400 or 413, never a 500, nothing stored -------------------------


def _deep(levels: int) -> bytes:
    return b"[" * levels + b"]" * levels


@pytest.fixture
def every_writable_url(user):
    """Every POST / PUT / PATCH operation of the API schema, with its path's id filled in by an
    object the caller owns (a new endpoint with an unknown path parameter fails this fixture)."""
    roadmap = RoadmapFactory(owner=user)
    progress = progress_of(roadmap)
    activity = PracticeActivityFactory(progress=progress)
    experiment = make_experiment()  # staff's; the depth guard answers before any permission check
    version = experiment.arms.get(position=1).version
    concrete = {
        "/api/milestone-progress/{id}/": f"/api/milestone-progress/{progress.pk}/",
        "/api/roadmaps/{id}/": f"/api/roadmaps/{roadmap.pk}/",
        "/api/practice-activities/{id}/": f"/api/practice-activities/{activity.pk}/",
        "/api/deconstructions/{id}/": f"/api/deconstructions/{roadmap.deconstruction_id}/",
        "/api/experiments/{id}/": f"/api/experiments/{experiment.pk}/",
        "/api/skills/{skill_id}/versions/{version}/": f"/api/skills/{version.skill_id}/versions/{version.version}/",
    }
    urls = []
    for path, operations in SchemaGenerator().get_schema(request=None, public=True)["paths"].items():
        for method in set(operations) & {"post", "put", "patch"}:
            if "{" in path:
                prefix = next((known for known in concrete if path.startswith(known)), None)
                assert prefix, f"no object for the path parameters of {path}: add one to this fixture"
                path = concrete[prefix] + path.removeprefix(prefix)
            urls.append((method, path))
    return urls


@pytest.mark.parametrize("levels", [1_000, 100_000])
def test_a_body_nested_too_deep_is_400_on_every_writable_endpoint(user_client, every_writable_url, levels):
    for method, url in every_writable_url:
        response = getattr(user_client, method)(url, _deep(levels), content_type="application/json")
        assert response.status_code == 400, (method, url, response.status_code)
        assert response.json()["detail"] == TOO_DEEP.format(limit=64)
    assert not UsageEvent.objects.exists()


def test_nesting_up_to_the_limit_is_accepted(user_client):
    snapshot = {"a": [[[{"b": 1}]]]}  # an event's state at depth 6 in a batch
    response = user_client.post("/api/events/", [event_payload(0, state_snapshot=snapshot)], format="json")
    assert response.status_code == 201


def test_a_body_over_the_upload_limit_is_a_json_413(user_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
    body = json.dumps([event_payload(0, workflow_path="x" * 400)] * 2000).encode()
    response = user_client.post("/api/events/", body, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["detail"] == TOO_LARGE.format(limit=1024 * 1024)
    assert not UsageEvent.objects.exists()


@pytest.mark.parametrize("field", ["state_snapshot", "artifacts"])
def test_a_json_field_over_its_limit_is_413_naming_the_field_and_limit(user_client, field):
    big = {"blob": "x" * 70_000}
    batch = [event_payload(0), event_payload(1, **{field: big})]
    response = user_client.post("/api/events/", batch, format="json")
    assert response.status_code == 413
    assert field in response.data["detail"] and "65,536 bytes" in response.data["detail"]
    size = len(json.dumps(big, separators=(",", ":")))
    assert response.data["errors"] == [{"index": 1, field: [FIELD_TOO_LARGE.format(size=size, limit=65_536)]}]
    assert not UsageEvent.objects.exists()


@pytest.mark.parametrize(
    ("occurred_at", "message"),
    [
        ("9999-12-31T23:59:59-05:00", TIME_OUT_OF_RANGE),
        ("0001-01-01T00:00:00+05:00", TIME_OUT_OF_RANGE),
        ("two days ahead", TIME_IN_FUTURE),
        ("2001-01-01T00:00:00Z", TIME_TOO_OLD.format(days=3 * 365)),
    ],
)
def test_an_event_time_outside_the_window_is_400_naming_the_field(user_client, occurred_at, message):
    if occurred_at == "two days ahead":
        occurred_at = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    response = user_client.post("/api/events/", [event_payload(0, occurred_at=occurred_at)], format="json")
    assert response.status_code == 400
    assert response.data["errors"] == [{"index": 0, "occurred_at": [message]}]
    assert not Skill.objects.exists() and not UsageEvent.objects.exists()


def test_an_event_a_few_hours_ahead_is_accepted_as_clock_skew(user_client):
    ahead = (datetime.now(UTC) + timedelta(hours=3)).isoformat()
    assert user_client.post("/api/events/", [event_payload(0, occurred_at=ahead)], format="json").status_code == 201


# --- event ids are per user -----------------------------------------------------------------


def test_the_same_event_id_from_two_users_is_two_events_and_tells_neither_about_the_other():
    alice, bob = OperatorFactory(), OperatorFactory()
    shared_id = str(uuid.uuid4())

    def post(user, payload):
        client = APIClient()
        client.force_authenticate(user)
        return client.post("/api/events/", payload, format="json")

    first = post(alice, event_payload(0, event_id=shared_id))
    fresh = post(bob, event_payload(1))
    reused = post(bob, event_payload(1, event_id=shared_id))  # another payload under Alice's id
    assert first.status_code == fresh.status_code == reused.status_code == 201
    assert reused.data == fresh.data == {"received": 1, "created": 1, "duplicates": 0, "held": 0}
    assert UsageEvent.objects.filter(event_id=shared_id).count() == 2

    retry = post(alice, event_payload(0, event_id=shared_id))
    assert (retry.status_code, retry.data["duplicates"]) == (200, 1)
    conflicting = post(alice, event_payload(2, event_id=shared_id))
    assert conflicting.status_code == 409


# --- the caller's transaction -----------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_recording_inside_a_callers_transaction_leaves_it_as_it_was():
    user = OperatorFactory()
    with transaction.atomic():
        # A deferred foreign key left pending by the caller: had ingestion switched constraints to
        # IMMEDIATE, it would be checked (and fail) during the record.
        SkillVersion.objects.create(skill_id="published-later", version="1.0.0", content="", sha256="")
        usage_events_record(events=[event_payload(n) for n in range(30)], user=user)
        with pytest.raises(InvalidEvents):
            usage_events_record(events=[event_payload(0, latency_ms=-1)], user=user)
        stored = event_payload(99, skill_id="skill-0")
        usage_events_record(events=[stored], user=user)
        with pytest.raises(EventConflict):
            usage_events_record(events=[{**stored, "latency_ms": 1}], user=user)
        assert not connection.needs_rollback
        assert connection.in_atomic_block
        Skill.objects.create(skill_id="published-later", display_name="Later")
    assert transaction.get_autocommit()
    assert UsageEvent.objects.count() == 31
    assert SkillVersion.objects.filter(skill_id="published-later").exists()


# --- queries Django can see -----------------------------------------------------------------


def test_a_single_event_is_recorded_in_queries_django_sees(user, settings):
    settings.INGEST_FOLD_INTERVAL_SECONDS = -1  # no fold after a post
    SkillFactory(skill_id="pdf")
    with CaptureQueriesContext(connection) as queries:
        usage_events_record(events=[event_payload(0, skill_id="pdf")], user=user)
    statements = [q["sql"].split()[0] for q in queries.captured_queries]
    # savepoint (the test's transaction), the skill and its current version, the insert (whose
    # triggers register the id and queue the event), release
    assert statements == ["SAVEPOINT", "SELECT", "INSERT", "RELEASE"]


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_a_single_event_is_two_statements_and_no_begin_or_commit(settings):
    settings.INGEST_FOLD_INTERVAL_SECONDS = -1
    user = OperatorFactory()
    SkillFactory(skill_id="pdf")
    with CaptureQueriesContext(connection) as queries:
        usage_events_record(events=[event_payload(0, skill_id="pdf")], user=user)
    # the skill and its current version, the insert (atomic with its triggers)
    assert [q["sql"].split()[0] for q in queries.captured_queries] == ["SELECT", "INSERT"]
    assert UsageEvent.objects.count() == UsageEventPending.objects.count() == 1


@pytest.mark.postgres
def test_a_copied_batch_is_in_the_query_log_too(user, settings):
    settings.INGEST_FOLD_INTERVAL_SECONDS = -1
    with CaptureQueriesContext(connection) as queries:
        usage_events_record(events=[event_payload(n) for n in range(50)], user=user)
    copies = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("COPY")]
    assert len(copies) == 1 and copies[0].endswith("FROM STDIN")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_new_batch_is_copied_without_reading_the_registry_and_a_retried_one_reads_it_once(settings):
    settings.INGEST_FOLD_INTERVAL_SECONDS = -1
    user = OperatorFactory()
    first = [event_payload(n) for n in range(40)]
    with CaptureQueriesContext(connection) as queries:
        usage_events_record(events=first, user=user)
    assert queries.captured_queries[-1]["sql"].startswith("COPY")
    assert not [q for q in queries.captured_queries if "skills_usageeventkey" in q["sql"]]  # no registry read
    again = [*first[:30], *(event_payload(n) for n in range(40, 65))]  # 30 retried, 25 new
    with CaptureQueriesContext(connection) as queries:
        result = usage_events_record(events=again, user=user)
    # the COPY the registry refuses, one read of it, the COPY of the new events
    copies = [q for q in queries.captured_queries if q["sql"].startswith("COPY")]
    registry_reads = [q for q in queries.captured_queries if "skills_usageeventkey" in q["sql"]]
    assert len(copies) == 2 and len(registry_reads) == 1
    assert (result.created, result.duplicates) == (25, 30)
    assert UsageEvent.objects.count() == UsageEventPending.objects.count() == 65


def test_events_wait_in_the_queue_until_a_fold_and_reads_say_how_fresh_they_are(user, settings):
    settings.INGEST_FOLD_INTERVAL_SECONDS = -1  # no fold after a post
    usage_events_record(events=[event_payload(n) for n in range(5)], user=user)
    assert UsageEventPending.objects.count() == 5
    assert not SkillMetrics.objects.exists()
    client = APIClient()
    client.force_authenticate(user)
    pending_since = UsageEventPending.objects.earliest("received_at").received_at
    assert client.get("/api/analytics/summary/").data["metrics_as_of"] == pending_since
    assert usage_rollups_fold() == 5
    assert sum(SkillMetrics.objects.values_list("total_invocations", flat=True)) == 5
    assert not UsageEventPending.objects.exists()


# --- two posts of one new id at once ----------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("size", [1, 30], ids=["one event", "a copied batch"])
def test_two_concurrent_posts_of_one_new_event_store_it_once_and_the_loser_answers_as_a_retry(size):
    agent = OperatorFactory()
    event = event_payload(0) if size == 1 else [event_payload(n) for n in range(size)]
    barrier = threading.Barrier(6)
    answers = []

    def post() -> None:
        client = APIClient()
        client.force_authenticate(agent)
        barrier.wait()
        try:
            response = client.post("/api/events/", event, format="json")
            answers.append((response.status_code, response.data))
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert UsageEvent.objects.count() == size
    assert sorted(status for status, _ in answers) == [200, 200, 200, 200, 200, 201]
    assert all(data["duplicates"] == size for status, data in answers if status == 200)
