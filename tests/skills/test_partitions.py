"""The usage log's monthly partitions on PostgreSQL: creation ahead, default catch, idempotency, archiving."""

import uuid
from datetime import date

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction

from skills.ingestion.record import usage_events_record
from skills.models import SkillMetrics, UsageEvent
from skills.services.partitions import archived_count, partitions_archive, partitions_ensure, partitions_list
from tests.factories import SkillFactory, UsageEventFactory
from tests.skills.telemetry_helpers import aggregates_snapshot, event_payload

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


@pytest.fixture(autouse=True)
def long_retention(settings):
    """These tests post events of long-gone months, into partitions made for them."""
    settings.EVENTS_MAX_AGE_DAYS = 40 * 365


def partition_of(event_id) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT tableoid::regclass::text FROM skills_usageevent WHERE event_id = %s", [event_id])
        return cursor.fetchone()[0]


def names() -> list[str]:
    return [name for name, _rows in partitions_list()]


def test_partitions_are_created_ahead_and_the_command_is_safe_to_rerun(capsys):
    created = partitions_ensure(today=date(2019, 5, 17), months_ahead=2)
    assert created == ["skills_usageevent_2019_05", "skills_usageevent_2019_06", "skills_usageevent_2019_07"]
    assert partitions_ensure(today=date(2019, 5, 17), months_ahead=2) == []
    call_command("manage_partitions")
    call_command("manage_partitions")
    assert "none (all present)" in capsys.readouterr().out.splitlines()[-1]
    assert names()[-1] == "skills_usageevent_default"


def test_an_event_outside_every_partition_lands_in_the_default_one_and_moves_when_its_month_is_created(user):
    event = event_payload(0, occurred_at="2001-03-04T05:06:07Z")
    SkillFactory(skill_id=event["skill_id"])  # registered: a learner's events never register skills
    usage_events_record(events=[event], user=user)
    assert partition_of(event["event_id"]) == "skills_usageevent_default"
    before = aggregates_snapshot()
    partitions_ensure(today=date(2001, 3, 1), months_ahead=0)
    assert partition_of(event["event_id"]) == "skills_usageevent_2001_03"
    assert UsageEvent.objects.count() == 1
    # Moving stored events is maintenance: the queue does not take them again.
    assert aggregates_snapshot() == before
    assert before["sessions"] and before["users"]


def test_event_ids_stay_unique_across_partitions():
    partitions_ensure(today=date(2019, 1, 1), months_ahead=1)
    event_id = uuid.uuid4()
    UsageEventFactory(event_id=event_id, occurred_at="2019-01-15T00:00:00Z")
    with pytest.raises(IntegrityError):
        with transaction.atomic():
            UsageEventFactory(event_id=event_id, occurred_at="2019-02-15T00:00:00Z")


def test_a_retry_is_recognised_whatever_partition_holds_the_event():
    partitions_ensure(today=date(2019, 1, 1), months_ahead=1)
    event = event_payload(0, occurred_at="2019-01-15T00:00:00Z")
    usage_events_record(events=[event], user=None)
    assert usage_events_record(events=[event], user=None).duplicates == 1


def test_archiving_moves_whole_old_partitions_and_loses_nothing(capsys):
    partitions_ensure(today=date(2025, 1, 1), months_ahead=3)
    months = ["2025-01-10", "2025-02-10", "2025-03-10", "2025-04-10"]
    events = [event_payload(n, occurred_at=f"{months[n % 4]}T12:00:00Z") for n in range(40)]
    events.append(event_payload(99, occurred_at="1999-12-31T23:00:00Z"))  # caught by the default partition
    usage_events_record(events=events, user=None)
    metrics_before = aggregates_snapshot()["metrics"]
    total = UsageEvent.objects.count()

    report = partitions_archive(before=date(2025, 3, 1))

    assert report.partitions == ["skills_usageevent_1999_12", "skills_usageevent_2025_01", "skills_usageevent_2025_02"]
    assert (report.before, report.archived, report.live) == (total, 21, total - 21)
    assert UsageEvent.objects.count() + archived_count() == total
    assert aggregates_snapshot()["metrics"] == metrics_before
    assert SkillMetrics.objects.exists()
    archived_event = next(e for e in events if e["occurred_at"].startswith("2025-01"))
    assert usage_events_record(events=[archived_event], user=None).duplicates == 1


def test_archive_command_prints_the_proof_of_counts(capsys):
    partitions_ensure(today=date(2025, 1, 1), months_ahead=1)
    usage_events_record(events=[event_payload(n, occurred_at="2025-01-05T00:00:00Z") for n in range(5)], user=None)
    call_command("manage_partitions", "--archive-before", "2025-02")
    out = capsys.readouterr().out
    assert "archived before 2025-02: 1 partition(s) (skills_usageevent_2025_01), 5 event(s)" in out
    assert "+ archived 5" in out


def test_a_bad_month_is_refused_with_the_option_named():
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="--archive-before: '2025-13'"):
        call_command("manage_partitions", "--archive-before", "2025-13")
