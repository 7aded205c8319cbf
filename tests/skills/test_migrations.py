"""The skills migrations reverse and apply again, on both databases."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from skills.models import SkillDailyUsage, SkillMetrics, UsageEvent, UsageEventKey
from skills.services import usage_events_record
from skills.sketch import LatencySketch
from tests.skills.telemetry_helpers import event_payload


def _fillfactor(table: str) -> str | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = %s", [table])
        options = cursor.fetchone()[0] or []
    return next((option.split("=")[1] for option in options if option.startswith("fillfactor=")), None)


def _migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(targets(executor))


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


@pytest.mark.django_db(transaction=True)
def test_the_log_keeps_its_event_id_trigger_across_the_index_migration_both_ways():
    _migrate(lambda executor: [("skills", "0008_aggregate_indexes")])
    _assert_retries_are_recognised()
    _migrate(lambda executor: executor.loader.graph.leaf_nodes())
    assert usage_events_record(events=[event_payload(1)]).created == 1
    assert UsageEvent.objects.count() == UsageEventKey.objects.count() == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_aggregate_tables_leave_room_for_in_place_updates_and_reverting_removes_it():
    assert _fillfactor("skills_skillmetrics") == "50"
    assert _fillfactor("skills_sessionskill") == "80"
    _migrate(lambda executor: [("skills", "0007_miningsession_skill_count")])
    assert _fillfactor("skills_skillmetrics") is None
    _migrate(lambda executor: executor.loader.graph.leaf_nodes())
    assert _fillfactor("skills_skilldailyusage") == "70"


@pytest.mark.django_db(transaction=True)
def test_stored_latency_sketches_are_packed_and_unpacked_with_the_same_percentiles():
    usage_events_record(events=[event_payload(i, skill_id="pdf", latency_ms=10 * (i + 1)) for i in range(20)])
    metrics = SkillMetrics.objects.get()
    packed, percentiles = metrics.latency_sketch, (metrics.p50_ms, metrics.p95_ms, metrics.p99_ms)
    assert "packed" in packed and "bins" not in packed

    _migrate(lambda executor: [("skills", "0009_usage_log_fewer_indexes")])
    listed = SkillMetrics.objects.get().latency_sketch
    assert "bins" in listed and "packed" not in listed
    assert LatencySketch(listed).quantiles((0.5, 0.95, 0.99)) == percentiles

    _migrate(lambda executor: executor.loader.graph.leaf_nodes())
    assert SkillMetrics.objects.get().latency_sketch == packed
    assert all("packed" in sketch for sketch in SkillDailyUsage.objects.values_list("latency_sketch", flat=True))
