"""Concurrent writers on PostgreSQL: aggregates stay exact, retries stay idempotent."""

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from skills.models import UsageEvent, UsageEventPending
from skills.services.rebuild import metrics_rebuild
from tests.factories import OperatorFactory
from tests.skills.telemetry_helpers import aggregates_snapshot, event_payload

THREADS = 8


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_eight_threads_posting_overlapping_batches_end_equal_to_a_rebuild():
    agent = OperatorFactory()  # one service account posting from eight workers: their retries overlap
    pool = [event_payload(n) for n in range(400)]
    # Thread t posts events [40t, 40t + 120): each event is posted by up to three threads at once.
    batches = [pool[40 * t : 40 * t + 120] for t in range(THREADS)]
    barrier = threading.Barrier(THREADS)
    failures = []

    def post(index: int) -> None:
        client = APIClient()
        client.force_authenticate(agent)
        barrier.wait()
        try:
            for start in range(0, len(batches[index]), 30):
                response = client.post("/api/events/", batches[index][start : start + 30], format="json")
                if response.status_code not in (200, 201):
                    failures.append((index, response.status_code, response.data))
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    expected = len({e["event_id"] for batch in batches for e in batch})
    assert UsageEvent.objects.count() == expected
    assert UsageEvent.objects.values("event_id").distinct().count() == expected
    assert not UsageEventPending.objects.exists()  # every post folded the queue after storing its events
    incremental = aggregates_snapshot()
    metrics_rebuild()
    assert aggregates_snapshot() == incremental
