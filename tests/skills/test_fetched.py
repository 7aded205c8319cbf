"""FetchedRows and fetch_together: queries sent together, instances built later (no query)."""

import pytest
from django.db import DatabaseError, transaction

from skills.models import SkillDailyUsage, SkillMetrics, SkillUserUsage
from skills.services import usage_events_record
from skills.services.fetched import CompiledQuery, FetchedRows, PendingRows, fetch_together, one_of
from tests.skills.telemetry_helpers import event_payload

pytestmark = pytest.mark.django_db


def field_values(instances):
    return [{f.attname: getattr(i, f.attname) for f in i._meta.concrete_fields} for i in instances]


def test_instances_equal_the_querysets_and_are_built_without_a_query(user, django_assert_num_queries):
    usage_events_record(events=[event_payload(n) for n in range(30)], user=user)
    queryset = SkillDailyUsage.objects.order_by("skill_id", "day")
    fetched = FetchedRows(queryset).fetch()
    with django_assert_num_queries(0):
        instances = fetched.instances()
    assert field_values(instances) == field_values(queryset)
    assert all(isinstance(row.latency_sketch, dict) for row in instances)  # JSON columns decoded


def test_a_select_for_update_queryset_runs_inside_the_transaction_and_exposes_a_column(user):
    usage_events_record(events=[event_payload(n) for n in range(6)], user=user)
    with transaction.atomic():
        fetched = FetchedRows(SkillMetrics.objects.select_for_update().order_by("skill_id")).fetch()
        assert fetched.column("skill_id") == ["skill-0", "skill-1", "skill-2"]
        assert [m.total_invocations for m in fetched.instances()] == [2, 2, 2]


def test_a_compiled_query_binds_each_list_as_one_parameter_and_finds_what_the_orm_finds(user):
    usage_events_record(events=[event_payload(n) for n in range(30)], user=user)
    stored_days = CompiledQuery(
        lambda: SkillDailyUsage.objects.filter(
            one_of(SkillDailyUsage, "skill_id", "skills"), one_of(SkillDailyUsage, "day", "days")
        ).order_by("skill_id", "day")
    )
    days = sorted(set(SkillDailyUsage.objects.values_list("day", flat=True)))[:3]
    for skills in (["skill-0"], ["skill-0", "skill-2", "no-such-skill"]):
        fetched = stored_days(skills=skills, days=days).fetch()
        expected = SkillDailyUsage.objects.filter(skill_id__in=skills, day__in=days).order_by("skill_id", "day")
        assert field_values(fetched.instances()) == field_values(expected)
    # Compiled once: the SQL is the same whatever the lists' lengths.
    assert stored_days(skills=["a"], days=days).sql == stored_days(skills=["a", "b", "c"], days=days[:1]).sql


def test_a_compiled_values_query_gives_tuples(user):
    usage_events_record(events=[event_payload(n) for n in range(6)], user=user)
    users = CompiledQuery(
        lambda: (
            SkillUserUsage.objects.filter(
                one_of(SkillUserUsage, "skill_id", "skills"), one_of(SkillUserUsage, "user_id", "users")
            )
            .order_by("skill_id")
            .values_list("skill_id", "user_id")
        )
    )
    assert users(skills=["skill-0", "skill-1"], users=[user.pk]).fetch().rows == [
        ("skill-0", user.pk),
        ("skill-1", user.pk),
    ]
    assert users(skills=["skill-0"], users=[user.pk + 1000]).fetch().rows == []


def test_fetch_together_runs_queries_and_statements_in_order_and_returns_what_ran_meanwhile(user):
    usage_events_record(events=[event_payload(n) for n in range(6)], user=user)
    with transaction.atomic():
        locked = FetchedRows(SkillMetrics.objects.select_for_update().order_by("skill_id"))
        total = PendingRows("SELECT total_invocations FROM skills_skillmetrics")
        result = fetch_together(
            [locked, "SAVEPOINT probe", total, "ROLLBACK TO SAVEPOINT probe"], while_waiting=lambda: "meanwhile"
        )
        assert result == "meanwhile"
        assert locked.row_count == 3
        assert locked.column("skill_id") == ["skill-0", "skill-1", "skill-2"]
        assert sorted(total.rows) == [(2,), (2,), (2,)]
    assert fetch_together([], while_waiting=lambda: 7) == 7


def test_an_error_in_one_query_is_djangos_error_and_the_transaction_goes_on_from_a_savepoint(user):
    with transaction.atomic():
        fetch_together(["SAVEPOINT probe"])
        with pytest.raises(DatabaseError):
            fetch_together([PendingRows("SELECT * FROM no_such_table")])
        transaction.set_rollback(False)
        fetch_together(["ROLLBACK TO SAVEPOINT probe"])
        assert PendingRows("SELECT 1 + 1").fetch().rows == [(2,)]
