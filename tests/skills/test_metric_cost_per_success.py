"""Cost per successful use: one declared measure, kept by the fold, equal after a rebuild, in the API."""

from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from skills.ingestion.fold import usage_rollups_fold
from skills.ingestion.record import usage_events_record
from skills.models import SkillMetrics
from skills.services.rebuild import metrics_rebuild
from tests.skills.telemetry_helpers import event_payload

pytestmark = pytest.mark.django_db


def record(outcome: str, cost: str, n: int) -> None:
    usage_events_record(events=[event_payload(n, skill_id="pdf-extract", outcome=outcome, cost_usd=cost)])


def test_every_uses_cost_is_divided_by_the_successful_uses(user_client):
    record("success", "0.010000", 1)
    record("success", "0.020000", 2)
    record("failure", "0.015000", 3)  # a failed attempt is paid for too
    usage_rollups_fold()

    assert SkillMetrics.objects.get(skill_id="pdf-extract").cost_per_success_usd == Decimal("0.022500")
    metrics = user_client.get("/api/skills/pdf-extract/").data["metrics"]
    assert metrics["cost_per_success_usd"] == "0.022500"


def test_a_skill_that_never_succeeded_has_no_cost_per_success():
    record("failure", "0.010000", 1)
    record("error", "0.010000", 2)
    usage_rollups_fold()

    assert SkillMetrics.objects.get(skill_id="pdf-extract").cost_per_success_usd is None


def test_the_rebuild_computes_the_same_cost_per_success():
    for n, outcome in enumerate(["success", "failure", "success", "abandoned", "success"]):
        record(outcome, f"0.00{n + 1}000", n)
    usage_rollups_fold()
    folded = SkillMetrics.objects.get(skill_id="pdf-extract").cost_per_success_usd

    metrics_rebuild()

    assert folded == Decimal("0.005000")  # 0.015 over three successes
    assert SkillMetrics.objects.get(skill_id="pdf-extract").cost_per_success_usd == folded


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_migration_that_adds_it_fills_the_rows_folded_before():
    record("success", "0.010000", 1)
    record("failure", "0.020000", 2)
    usage_rollups_fold()
    executor = MigrationExecutor(connection)
    executor.migrate([("skills", "0006_skillunlock_grant_permission")])
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    assert SkillMetrics.objects.get(skill_id="pdf-extract").cost_per_success_usd == Decimal("0.030000")
