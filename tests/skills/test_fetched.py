"""FetchedRows and fetch_together: queries sent together, instances built later (no query)."""

import pytest
from django.db import transaction

from skills.models import SkillDailyUsage, SkillMetrics
from skills.services import usage_events_record
from skills.services.fetched import FetchedRows
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
