"""The skills migrations reverse and apply again, on both databases."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from skills.ingestion.record import usage_events_record
from skills.models import UsageEvent, UsageEventKey
from tests.skills.telemetry_helpers import event_payload


def _fillfactor(table: str) -> str | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = %s", [table])
        options = cursor.fetchone()[0] or []
    return next((option.split("=")[1] for option in options if option.startswith("fillfactor=")), None)


def _migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(targets(executor))


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_skills_migrations_reverse_to_zero_and_apply_again():
    _migrate(lambda executor: [("skills", None)])
    assert "skills_usageevent" not in connection.introspection.table_names()
    _migrate(lambda executor: executor.loader.graph.leaf_nodes())
    assert {"skills_usageevent", "skills_sessionskill", "skills_skillmetrics"} <= set(
        connection.introspection.table_names()
    )
    _assert_retries_are_recognised()


def _assert_retries_are_recognised() -> None:
    # The event-id registry is filled by a trigger; a migration that rebuilds the log must keep it.
    event = event_payload(0)
    usage_events_record(events=[event])
    assert usage_events_record(events=[event]).duplicates == 1
    assert UsageEvent.objects.count() == UsageEventKey.objects.count() == 1


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_aggregate_tables_leave_room_for_in_place_updates_and_reverting_removes_it():
    assert _fillfactor("skills_skillmetrics") == "50"
    assert _fillfactor("skills_sessionskill") == "80"
    _migrate(lambda executor: [("skills", "0001_initial")])
    assert _fillfactor("skills_skillmetrics") is None
    _migrate(lambda executor: executor.loader.graph.leaf_nodes())
    assert _fillfactor("skills_skilldailyusage") == "70"


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_unapplying_the_database_features_keeps_the_events_and_applying_them_again_keeps_retries_recognised():
    usage_events_record(events=[event_payload(i, skill_id="pdf") for i in range(3)])
    _migrate(lambda executor: [("skills", "0001_initial")])
    assert UsageEvent.objects.count() == 3
    _migrate(lambda executor: executor.loader.graph.leaf_nodes())
    assert UsageEvent.objects.count() == 3
    assert usage_events_record(events=[event_payload(1)]).created == 1
