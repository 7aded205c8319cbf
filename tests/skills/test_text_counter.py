"""Free-text counters are bounded (METRICS_TOP_K values a roll-up row) and know who sent each value:
exact, and equal to a rebuild, up to K distinct values; beyond, the most frequent kept, never
naming a sender who did not send the value."""

import random

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from rest_framework.test import APIClient

from skills.ingestion.fold import usage_rollups_fold
from skills.ingestion.record import usage_events_record
from skills.models import SkillDailyUsage, SkillMetrics
from skills.services.rebuild import metrics_rebuild
from skills.services.rollup_check import rollups_check
from skills.text_counter import TextCounter, bounded
from tests.factories import OperatorFactory
from tests.skills.telemetry_helpers import event_payload

pytestmark = pytest.mark.django_db


def counter_of(*sent: tuple[str, int | None]) -> TextCounter:
    counter = TextCounter()
    for value, user_id in sent:
        counter.add((value,), user_id)
    return counter


def test_a_counter_keeps_the_smallest_senders_whatever_the_order():
    sent = [("a", user) for user in (9, 4, 7, 4, 1, None, 8)] + [("b", 5)]
    counters = []
    for seed in range(5):
        random.Random(seed).shuffle(sent)
        halves = counter_of(*sent[:4]), counter_of(*sent[4:])
        halves[0].merge(halves[1].entries)
        counters.append(halves[0].entries)
    assert counters == [{"a": [7, [1, 4, 7]], "b": [1, [5]]}] * 5


def test_counts_show_only_the_values_enough_users_sent_the_most_frequent_first():
    counter = counter_of(("lone", 1), ("lone", 1), ("lone", 1), ("lone", 1), ("shared", 1), ("shared", 2),
                         ("shared", 3), ("anonymous", None), ("anonymous", None), ("anonymous", None))  # fmt: skip
    assert counter.counts(3) == {"shared": 3}
    assert list(counter.counts(0).items()) == [("lone", 4), ("anonymous", 3), ("shared", 3)]


def test_a_full_row_lets_a_new_value_in_above_its_smallest_count_with_its_own_senders_only():
    row = bounded({}, counter_of(("a", 1), ("a", 1), ("b", 2), ("b", 2)), top_k=2)
    assert row == {"a": [2, [1]], "b": [2, [2]]}  # exact so far
    row = bounded(row, counter_of(("c", 3)), top_k=2)
    # c may have been dropped before with up to the row's smallest count (2): it enters at 2 + 1, and
    # b (tied with a, the greater value) leaves; c's senders are its own, never b's.
    assert row == {"c": [3, [3]], "a": [2, [1]]}
    row = bounded(row, counter_of(("c", 4), ("c", 5), ("a", 6)), top_k=2)
    assert row == {"c": [5, [3, 4, 5]], "a": [3, [1, 6]]}


def record(events: list[dict], *, by) -> None:
    usage_events_record(events=events, user=by)
    usage_rollups_fold()


def test_a_counter_never_holds_more_than_k_values_and_the_response_stays_bounded(settings, admin_user):
    settings.METRICS_TOP_K = 5
    staff = APIClient()
    staff.force_authenticate(admin_user)
    sizes = []
    for batch in range(4):
        events = [
            event_payload(n, skill_id="pdf", workflow_path=f"path/{batch}/{n}", error_type=f"E{batch}-{n}",
                          follow_up_actions=[f"do-{batch}-{n}-{k}" for k in range(3)], occurred_at=None)
            for n in range(30)
        ]  # fmt: skip
        record(events, by=OperatorFactory())
        sizes.append(len(staff.get("/api/skills/pdf/").content))
    metrics = SkillMetrics.objects.get(skill_id="pdf")
    assert [len(c) for c in (metrics.workflow_paths, metrics.error_types, metrics.follow_up_actions)] == [5, 5, 5]
    assert {len(row.workflow_paths) for row in SkillDailyUsage.objects.filter(skill_id="pdf")} == {5}
    assert max(sizes) - min(sizes) < 200  # 120 distinct values later, about the same size


def test_the_fold_and_the_rebuild_agree_on_counters_with_their_senders():
    senders = [OperatorFactory() for _ in range(4)]
    events = [event_payload(n, skill_id=f"skill-{n % 2}") for n in range(40)]
    for start in range(0, 40, 7):
        record(events[start : start + 7], by=senders[start % 4])
    folded = list(
        SkillMetrics.objects.order_by("skill_id").values("workflow_paths", "error_types", "follow_up_actions")
    )
    assert folded[0]["workflow_paths"]["quick"][1] == sorted(user.pk for user in senders)[:3]

    metrics_rebuild()

    assert (
        list(SkillMetrics.objects.order_by("skill_id").values("workflow_paths", "error_types", "follow_up_actions"))
        == folded
    )
    assert rollups_check(sample=10).differences == []


def test_past_k_values_the_rebuild_keeps_the_exact_top_k_and_the_check_reports_no_drift(settings):
    settings.METRICS_TOP_K = 3
    operator = OperatorFactory()
    common = [event_payload(n, skill_id="pdf", workflow_path="common/path") for n in range(6)]
    record(common, by=operator)
    for n in range(8):  # one rare path a fold: each enters the full row above its truth
        record([event_payload(n, skill_id="pdf", workflow_path=f"rare/{n}")], by=operator)

    assert rollups_check(sample=5).differences == []

    metrics_rebuild()
    paths = SkillMetrics.objects.get(skill_id="pdf").workflow_paths
    assert paths == {"common/path": [6, [operator.pk]], "rare/0": [1, [operator.pk]], "rare/1": [1, [operator.pk]]}


def test_the_check_still_reports_a_counter_that_drifted_while_exact():
    operator = OperatorFactory()
    record([event_payload(n, skill_id="pdf") for n in range(5)], by=operator)
    SkillMetrics.objects.filter(skill_id="pdf").update(workflow_paths={"quick": [99, [operator.pk]]})
    differences = rollups_check(sample=5).differences
    assert [line.split(":")[0] for line in differences] == ["metrics pdf workflow_paths"]


@pytest.mark.django_db(transaction=True)
def test_the_migration_keeps_the_counts_and_a_rebuild_restores_the_senders():
    operator = OperatorFactory()
    record([event_payload(n, skill_id="pdf", workflow_path="quick") for n in range(3)], by=operator)
    executor = MigrationExecutor(connection)
    executor.migrate([("skills", "0011_feedback_notes_length")])
    assert SkillMetrics.objects.values_list("workflow_paths", flat=True).get() == {"quick": 3}  # as before it

    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    assert SkillMetrics.objects.values_list("workflow_paths", flat=True).get() == {"quick": [3, []]}
    metrics_rebuild()
    assert SkillMetrics.objects.values_list("workflow_paths", flat=True).get() == {"quick": [3, [operator.pk]]}
