"""The demo data `make run` loads: enough for every admin screen to show something."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count, Max, Min, Q
from django.utils import timezone

from skills.demo import DEMO_DAYS
from skills.models import CandidateStatus, EmergenceCandidate, SkillVersion, Tier, UsageEvent
from skills.selectors.dashboard import DashboardFilter, dashboard_data
from skills.selectors.registry import versions_with_usage

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    call_command("seed_demo")


def test_the_review_queue_is_not_empty_and_every_status_has_an_example(demo):
    statuses = dict(EmergenceCandidate.objects.values_list("status").annotate(n=Count("id")))
    assert set(statuses) == set(CandidateStatus.values)
    assert statuses[CandidateStatus.REVIEW] >= 3
    for candidate in EmergenceCandidate.objects.filter(status__in=["approved", "deployed", "rejected"]):
        assert candidate.review_notes and candidate.reviews.exists()
    deployed = EmergenceCandidate.objects.get(status=CandidateStatus.DEPLOYED)
    assert deployed.deployed_skill.tier == Tier.COMPOSITE


def test_versions_of_a_skill_differ_in_success_rate(demo):
    versions = versions_with_usage(SkillVersion.objects.filter(skill_id="code-review")).order_by("version")
    rates = [round(v.successes / v.uses, 2) for v in versions]
    assert len(rates) == 2 and all(v.uses for v in versions) and rates[0] < rates[1]


def test_events_cover_ninety_days_up_to_today_and_every_dashboard_figure(demo):
    span = UsageEvent.objects.aggregate(first=Min("occurred_at"), last=Max("occurred_at"))
    assert span["last"] - span["first"] > timedelta(days=DEMO_DAYS - 2)
    assert timezone.now() - span["last"] < timedelta(days=1)
    assert UsageEvent.objects.filter(~Q(outcome="success")).exists()
    data = dashboard_data(DashboardFilter.default())
    assert data["total"] and data["errors"] and data["paths"] and data["skills"]
    assert any(data["cost"]) and any(data["tokens_used"])


def test_the_command_prints_the_logins_at_the_sites_address():
    out = StringIO()
    call_command("seed_demo", site_url="http://127.0.0.1:8011/", stdout=out)
    printed = out.getvalue()
    assert "Admin: http://127.0.0.1:8011/admin/  user: admin  password: " in printed
    assert "Learners: http://127.0.0.1:8011/  users: ada" in printed
