"""Ingestion: all-or-nothing batches, idempotent retries, aggregates kept current."""

import random

import pytest
from ddsketch import DDSketch

from skills.ingestion.errors import EventConflict, InvalidEvents
from skills.ingestion.record import USER_NOT_ALLOWED, usage_events_record
from skills.models import (
    Outcome,
    SessionSkill,
    Skill,
    SkillDailyUsage,
    SkillMetrics,
    SkillUserUsage,
    UsageEvent,
    UsageEventKey,
)
from skills.services.metrics import feedback_record
from skills.services.rebuild import metrics_rebuild
from skills.services.registry import skill_version_publish
from skills.sketch import RELATIVE_ACCURACY, LatencySketch
from tests.factories import OperatorFactory, SkillFactory
from tests.skills.telemetry_helpers import aggregates_snapshot, event_payload

# Ingestion itself: the events name skills nobody registered, as an operator's may.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("user_registers_skills")]


def test_a_batch_is_stored_and_counted():
    user = OperatorFactory()
    result = usage_events_record(events=[event_payload(n) for n in range(10)], user=user)
    assert (result.received, result.created, result.duplicates) == (10, 10, 0)
    assert UsageEvent.objects.count() == 10
    assert sum(SkillMetrics.objects.values_list("total_invocations", flat=True)) == 10
    assert UsageEvent.objects.filter(user=user).count() == 10


def test_metrics_hold_counts_durations_and_counters():
    events = [
        event_payload(skill_id="pdf", outcome="success", latency_ms=100, workflow_path="a", session_id="s1"),
        event_payload(1, skill_id="pdf", outcome="failure", latency_ms=300, error_type="Timeout", session_id="s1"),
        event_payload(skill_id="pdf", outcome="abandoned", latency_ms=None, follow_up_actions=["retry", "ask"]),
    ]
    usage_events_record(events=events, user=OperatorFactory())
    m = SkillMetrics.objects.get(skill_id="pdf")
    assert (m.total_invocations, m.completed_count, m.failed_count, m.abandoned_count) == (3, 1, 1, 1)
    assert (m.duration_count, m.duration_sum_ms, m.duration_min_ms, m.duration_max_ms) == (2, 400, 100, 300)
    assert m.avg_duration_ms == 200
    assert m.completion_rate == pytest.approx(100 / 3)
    operator = UsageEvent.objects.values_list("user_id", flat=True).first()
    assert m.error_types == {"Timeout": [1, [operator]]}
    assert m.workflow_paths["a"] == [1, [operator]]
    assert m.follow_up_actions == {"retry": [2, [operator]], "ask": [1, [operator]]}
    assert m.unique_users == 1
    assert 0 <= m.effectiveness_score <= 100
    assert SessionSkill.objects.get(session_id="s1", skill_id="pdf").invocation_count == 2


def test_retrying_a_batch_changes_no_count():
    user = OperatorFactory()
    batch = [event_payload(n) for n in range(20)]
    usage_events_record(events=batch, user=user)
    before = aggregates_snapshot()
    result = usage_events_record(events=batch, user=user)
    assert (result.created, result.duplicates) == (0, 20)
    assert aggregates_snapshot() == before


def test_a_batch_mixing_retried_and_new_events_stores_only_the_new_ones():
    user = OperatorFactory()
    first = [event_payload(n) for n in range(30)]
    usage_events_record(events=first, user=user)
    new = [event_payload(n) for n in range(30, 55)]
    result = usage_events_record(events=[*first[10:], *new], user=user)  # large enough for COPY on PostgreSQL
    assert (result.received, result.created, result.duplicates) == (45, 25, 20)
    assert UsageEvent.objects.count() == UsageEventKey.objects.count() == 55
    assert sum(SkillMetrics.objects.values_list("total_invocations", flat=True)) == 55
    assert aggregates_snapshot() == _rebuilt_snapshot()


def _rebuilt_snapshot() -> dict:
    before = aggregates_snapshot()
    metrics_rebuild()
    rebuilt = aggregates_snapshot()
    assert rebuilt == before
    return rebuilt


def test_a_duplicate_inside_one_batch_is_counted_once():
    event = event_payload(1)
    result = usage_events_record(events=[event, dict(event)], user=OperatorFactory())
    assert (result.created, result.duplicates) == (1, 1)
    assert SkillMetrics.objects.get(skill_id=event["skill_id"]).total_invocations == 1


def test_the_same_id_with_another_payload_is_a_conflict_and_writes_nothing():
    user = OperatorFactory()
    event = event_payload(1)
    usage_events_record(events=[event], user=user)
    before = aggregates_snapshot()
    with pytest.raises(EventConflict) as excinfo:
        usage_events_record(events=[event_payload(2), {**event, "latency_ms": 999}], user=user)
    assert excinfo.value.conflicts[0]["event_id"] == event["event_id"]
    assert aggregates_snapshot() == before


def test_a_conflict_in_a_large_batch_names_the_item_and_writes_nothing():
    user = OperatorFactory()
    stored = [event_payload(n) for n in range(25)]
    usage_events_record(events=stored, user=user)
    before = aggregates_snapshot()
    batch = [event_payload(n) for n in range(25, 50)]
    batch[17] = {**stored[3], "latency_ms": 12345}
    with pytest.raises(EventConflict) as excinfo:
        usage_events_record(events=batch, user=user)
    assert [(c["index"], c["event_id"]) for c in excinfo.value.conflicts] == [(17, stored[3]["event_id"])]
    assert aggregates_snapshot() == before and UsageEvent.objects.count() == 25


def test_a_bad_batch_writes_nothing_and_names_each_bad_item():
    batch = [event_payload(0), event_payload(1, latency_ms=-5), event_payload(2), event_payload(3, outcome="meh")]
    with pytest.raises(InvalidEvents) as excinfo:
        usage_events_record(events=batch, user=OperatorFactory())
    assert [(e["index"], sorted(set(e) - {"index"})) for e in excinfo.value.errors] == [
        (1, ["latency_ms"]),
        (3, ["outcome"]),
    ]
    assert UsageEvent.objects.count() == 0 and Skill.objects.count() == 0


def test_an_unknown_skill_is_registered_disabled():
    usage_events_record(events=[event_payload(skill_id="brand-new")], user=OperatorFactory())
    skill = Skill.objects.get(skill_id="brand-new")
    assert skill.enabled is False
    assert UsageEvent.objects.get().skill_id == "brand-new"


@pytest.mark.parametrize("size", [4, 40])  # the few-rows INSERT, and COPY on PostgreSQL
def test_a_retried_batch_that_brings_a_new_skill_stores_its_events_and_keeps_it_registered(size):
    user = OperatorFactory()
    first = [event_payload(n, skill_id="known") for n in range(size)]
    usage_events_record(events=first, user=user)
    new = [event_payload(n, skill_id="brand-new") for n in range(size)]
    # The new skill is registered, then the insert finds the retried events and is undone and
    # repeated with the new ones only: the registration must survive that undo.
    result = usage_events_record(events=[*first, *new], user=user)
    assert (result.created, result.duplicates) == (size, size)
    assert Skill.objects.get(skill_id="brand-new").enabled is False
    metrics = dict(SkillMetrics.objects.values_list("skill_id", "total_invocations"))
    assert metrics == {"known": size, "brand-new": size}
    assert aggregates_snapshot() == _rebuilt_snapshot()


def test_a_skill_registered_without_metrics_gets_them_with_its_first_events():
    SkillFactory(skill_id="registered")
    usage_events_record(events=[event_payload(n, skill_id="registered") for n in range(25)], user=OperatorFactory())
    assert SkillMetrics.objects.get(skill_id="registered").total_invocations == 25
    assert aggregates_snapshot() == _rebuilt_snapshot()


def test_events_are_attributed_to_the_current_version_unless_they_name_one():
    skill = SkillFactory(skill_id="pdf")
    skill_version_publish(skill=skill, version="1.0.0", content="a")
    current = skill_version_publish(skill=skill, version="1.1.0", content="b")
    usage_events_record(
        events=[event_payload(skill_id="pdf"), event_payload(skill_id="pdf", skill_version="0.9.0")], user=None
    )
    versions = sorted(UsageEvent.objects.values_list("skill_version__version", flat=True))
    assert versions == ["0.9.0", "1.1.0"]
    assert skill.versions.get(is_current=True) == current


def test_an_ordinary_account_cannot_attribute_events_to_someone_else():
    user, other = OperatorFactory(), OperatorFactory()
    with pytest.raises(InvalidEvents) as excinfo:
        usage_events_record(events=[event_payload(user=other.pk)], user=user)
    assert excinfo.value.errors == [{"index": 0, "user": [USER_NOT_ALLOWED]}]


def test_a_service_account_with_the_permission_can_attribute_events():
    from django.contrib.auth.models import Permission

    service, learner = OperatorFactory(), OperatorFactory()
    service.user_permissions.add(Permission.objects.get(codename="ingest_for_any_user"))
    usage_events_record(events=[event_payload(user=learner.pk)], user=service)
    assert UsageEvent.objects.get().user == learner


def test_daily_rollup_and_user_rollup_follow_the_events():
    user = OperatorFactory()
    usage_events_record(events=[event_payload(n, skill_id="pdf") for n in range(10)], user=user)
    assert sum(SkillDailyUsage.objects.values_list("total", flat=True)) == 10
    assert SkillUserUsage.objects.get(skill_id="pdf", user=user).invocation_count == 10


def test_rebuild_equals_the_incremental_aggregates():
    users = [OperatorFactory() for _ in range(3)]
    for batch in range(6):
        events = [event_payload(batch * 30 + n) for n in range(30)]
        usage_events_record(events=events, user=users[batch % 3])
    feedback_record(user=users[0], skill_id="skill-0", rating=4)
    incremental = aggregates_snapshot()
    metrics_rebuild()
    assert aggregates_snapshot() == incremental


def test_feedback_moves_the_average_rating():
    user = OperatorFactory()
    usage_events_record(events=[event_payload(0, skill_id="pdf")], user=user)
    feedback_record(user=user, skill_id="pdf", rating=5)
    feedback_record(user=user, skill_id="pdf", rating=2)
    feedback_record(user=user, skill_id="pdf", rating=None, notes="no opinion")
    metrics = SkillMetrics.objects.get(skill_id="pdf")
    assert (metrics.rating_count, metrics.avg_rating) == (2, 3.5)


def test_sketch_percentiles_are_within_the_stated_error_on_lognormal_latencies():
    rng = random.Random(42)
    latencies = [max(1, round(rng.lognormvariate(5.0, 1.0))) for _ in range(100_000)]
    sketch = LatencySketch()
    for value in latencies:
        sketch.add(value)
    exact = sorted(latencies)
    for q in (0.5, 0.95, 0.99):
        true_value = exact[round(q * (len(exact) - 1))]
        assert abs(sketch.quantile(q) - true_value) <= RELATIVE_ACCURACY * true_value


def test_sketch_bins_and_quantiles_are_ddsketchs_and_survive_storage_and_merging():
    rng = random.Random(7)
    values = [0 if rng.random() < 0.02 else max(1, round(rng.lognormvariate(5.0, 2.0))) for _ in range(5_000)]
    reference = DDSketch(relative_accuracy=RELATIVE_ACCURACY)
    whole, first, second = LatencySketch(), LatencySketch(), LatencySketch()
    for index, value in enumerate(values):
        reference.add(float(value))
        whole.add(value)
        (first if index % 3 else second).add(value)
    stored = LatencySketch(first.to_json())  # written to and read back from the JSON column
    stored.merge(LatencySketch(second.to_json()))
    for q in (0.0, 0.01, 0.5, 0.95, 0.99, 1.0):
        assert whole.quantile(q) == stored.quantile(q) == reference.get_quantile_value(q)
    assert stored.to_json()["packed"] == whole.to_json()["packed"]
    assert (stored.count, stored.zero, stored.min, stored.max) == (5_000, values.count(0), 0, max(values))


def test_effectiveness_rewards_success_with_enough_evidence():
    usage_events_record(events=[event_payload(skill_id="good", outcome="success") for _ in range(50)], user=None)
    usage_events_record(events=[event_payload(skill_id="lucky", outcome="success") for _ in range(2)], user=None)
    usage_events_record(
        events=[event_payload(skill_id="bad", outcome=Outcome.FAILURE.value) for _ in range(50)], user=None
    )
    score = dict(SkillMetrics.objects.values_list("skill_id", "effectiveness_score"))
    assert score["good"] > score["lucky"] > score["bad"]
