"""Where the fold runs: after the recording's commit or in a worker, never inside a caller's transaction."""

import threading

import pytest
from django.db import DatabaseError, connection, transaction

from skills.ingestion.record import usage_events_record
from skills.models import SkillMetrics, UsageEvent, UsageEventPending
from skills.services.rebuild import metrics_rebuild
from tests.factories import SkillFactory, UserFactory
from tests.skills.telemetry_helpers import aggregates_snapshot, event_payload

WRITERS = 8


class CallerFailed(Exception):
    pass


def rollups() -> dict:
    return {kind: rows for kind, rows in aggregates_snapshot().items() if kind != "events"}


def metrics_table_locks() -> int:
    """Locks this connection holds on the metrics table (a fold's row locks take one on it)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*) FROM pg_locks WHERE pid = pg_backend_pid() AND relation = %s::regclass",
            [SkillMetrics._meta.db_table],
        )
        return cursor.fetchone()[0]


def rows_another_connection_locks_at_once() -> int | str:
    """How many metrics rows a second connection locks without waiting (or why it could not)."""
    found: dict = {}

    def lock() -> None:
        try:
            with transaction.atomic():
                found["rows"] = len(SkillMetrics.objects.select_for_update(nowait=True))
        except DatabaseError as error:
            found["rows"] = str(error)
        finally:
            connection.close()

    thread = threading.Thread(target=lock)
    thread.start()
    thread.join()
    return found["rows"]


@pytest.mark.django_db(transaction=True)
def test_recording_inside_a_callers_transaction_folds_nothing_until_it_commits():
    usage_events_record(events=[event_payload(n) for n in range(3)])  # no transaction: folded at once
    folded = rollups()

    with transaction.atomic():
        usage_events_record(events=[event_payload(n) for n in range(3, 30)])
        if connection.vendor == "postgresql":  # checked before this test reads the roll-ups itself
            assert metrics_table_locks() == 0
            assert rows_another_connection_locks_at_once() == 3
        assert UsageEventPending.objects.count() == 27  # stored and queued
        assert rollups() == folded

    assert not UsageEventPending.objects.exists()  # folded after the commit
    assert sum(SkillMetrics.objects.values_list("total_invocations", flat=True)) == 30


@pytest.mark.django_db(transaction=True)
def test_a_caller_that_rolls_back_leaves_nothing_stored_and_nothing_folded():
    usage_events_record(events=[event_payload(0)])
    folded = rollups()

    with pytest.raises(CallerFailed), transaction.atomic():
        usage_events_record(events=[event_payload(n) for n in range(1, 10)])
        raise CallerFailed

    assert UsageEvent.objects.count() == 1 and not UsageEventPending.objects.exists()
    assert rollups() == folded


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_eight_writers_recording_inside_their_own_transactions_end_equal_to_a_rebuild():
    agent = UserFactory()
    for n in range(3):  # registered: a learner's events never register skills
        SkillFactory(skill_id=f"skill-{n}")
    pool = [event_payload(n) for n in range(320)]
    barrier = threading.Barrier(WRITERS)
    failures = []

    def write(index: int) -> None:
        barrier.wait()
        try:
            for start in range(40 * index, 40 * index + 80, 20):  # overlapping: retries across writers
                with transaction.atomic():
                    usage_events_record(events=pool[start % 320 : start % 320 + 20], user=agent)
        except Exception as error:  # noqa: BLE001 — reported by the assertion below
            failures.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(index,)) for index in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    assert UsageEvent.objects.count() == 320 and not UsageEventPending.objects.exists()
    incremental = aggregates_snapshot()
    metrics_rebuild()
    assert aggregates_snapshot() == incremental
