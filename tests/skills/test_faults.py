"""Faults on PostgreSQL: a connection lost in the middle of a batch, an error once it is stored."""

import psycopg
import pytest
from django.db import OperationalError, connection
from rest_framework.test import APIClient

from skills.ingestion import record
from skills.ingestion.fold import usage_rollups_fold
from skills.models import SkillMetrics, UsageEvent
from skillsite.api import DATABASE_UNAVAILABLE
from tests.factories import SkillFactory
from tests.skills.telemetry_helpers import event_payload

# The events name skills nobody registered, as an operator's may.
pytestmark = pytest.mark.usefixtures("user_registers_skills")


def terminate_backend(pid: int) -> None:
    settings = connection.settings_dict
    with psycopg.connect(
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
        user=settings["USER"] or None,
        password=settings["PASSWORD"] or None,
        dbname=settings["NAME"],
        autocommit=True,
    ) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_connection_dropped_mid_batch_writes_nothing_and_the_retry_counts_once(user, monkeypatch):
    client = APIClient()
    client.force_authenticate(user)
    batch = [event_payload(n) for n in range(50)]
    copy_events = record.copy_events

    def drop_connection_before_the_copy(rows, using):
        terminate_backend(connection.connection.info.backend_pid)
        copy_events(rows, using)

    monkeypatch.setattr(record, "copy_events", drop_connection_before_the_copy)
    response = client.post("/api/events/", batch, format="json")
    assert response.status_code == 503
    assert response.data["detail"] == DATABASE_UNAVAILABLE
    assert response["Retry-After"]
    monkeypatch.undo()
    connection.close()  # as Django does once a request's connection failed (the test client skips that)

    assert UsageEvent.objects.count() == 0
    assert SkillMetrics.objects.count() == 0
    retry = client.post("/api/events/", batch, format="json")
    assert retry.status_code == 201 and retry.data["created"] == 50
    again = client.post("/api/events/", batch, format="json")
    assert again.data == {"received": 50, "created": 0, "duplicates": 50, "held": 0}
    assert UsageEvent.objects.count() == 50
    assert sum(SkillMetrics.objects.values_list("total_invocations", flat=True)) == 50


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_error_after_the_copy_keeps_the_events_once_and_leaves_the_connection_usable(user, monkeypatch):
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(user)
    batch = [event_payload(n) for n in range(50)]  # large enough for COPY

    copy_events = record.copy_events

    def fail(rows, using):
        copy_events(rows, using)
        raise RuntimeError("failed once the events were copied, before the commit")

    monkeypatch.setattr(record, "copy_events", fail)
    response = client.post("/api/events/", batch, format="json")
    assert response.status_code == 500
    monkeypatch.undo()

    # The COPY is one statement, committed as it ended: the client's retry is answered as one.
    assert UsageEvent.objects.count() == 50
    retry = client.post("/api/events/", batch, format="json")
    assert retry.status_code == 200 and retry.data == {"received": 50, "created": 0, "duplicates": 50, "held": 0}
    usage_rollups_fold()
    assert sum(SkillMetrics.objects.values_list("total_invocations", flat=True)) == 50


@pytest.mark.django_db(transaction=True)
def test_a_503_after_a_commit_that_went_through_says_it_may_have_been_stored(user, monkeypatch):
    """The connection fails as the request's transaction commits: the client cannot know whether it
    was kept, and the answer says so (never "nothing was written"); the retry is recognised."""
    client = APIClient()
    client.force_authenticate(user)
    batch = [event_payload(n) for n in range(3)]
    for skill_id in ("skill-0", "skill-1", "skill-2"):  # registered: the batch's one commit is its insert
        SkillFactory(skill_id=skill_id)
    commit = connection.commit

    def commit_then_fail():
        commit()
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(connection, "commit", commit_then_fail)
    response = client.post("/api/events/", batch, format="json")
    monkeypatch.undo()
    assert response.status_code == 503 and response["Retry-After"]
    assert response.data["detail"] == DATABASE_UNAVAILABLE
    assert "may have been stored" in DATABASE_UNAVAILABLE and "nothing was written" not in DATABASE_UNAVAILABLE
    assert UsageEvent.objects.count() == 3  # it was kept
    retry = client.post("/api/events/", batch, format="json")
    assert retry.status_code == 200 and (retry.data["created"], retry.data["duplicates"]) == (0, 3)
