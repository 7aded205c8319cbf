"""Issue 24, point 4: shared reads show shared facts. What events say in their users' own words —
workflow paths, error types, follow-up actions — is kept for staff: learner A's "A/secret/path"
never reaches learner B through a skill's metrics or the analytics summary."""

import uuid

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from skills.ingestion.fold import usage_rollups_fold
from skills.models import SkillMetrics
from tests.factories import SkillFactory, UserFactory

pytestmark = pytest.mark.django_db

SECRETS = ("A/secret/path", "SecretVaultError", "rotate-the-secret-key")


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def secret_sent():
    """Learner A's event carrying free text of their own, folded into the shared metrics."""
    SkillFactory(skill_id="pdf-extract")
    event = {
        "event_id": str(uuid.uuid4()), "skill_id": "pdf-extract", "outcome": "error",
        "workflow_path": SECRETS[0], "error_type": SECRETS[1], "follow_up_actions": [SECRETS[2]],
        "occurred_at": timezone.now().isoformat(),
    }  # fmt: skip
    assert client_for(UserFactory()).post("/api/events/", event, format="json").status_code == 201
    usage_rollups_fold()
    metrics = SkillMetrics.objects.get(skill_id="pdf-extract")
    assert metrics.workflow_paths == {SECRETS[0]: 1}  # stored, for staff


@pytest.mark.parametrize("url", ["/api/skills/pdf-extract/", "/api/analytics/summary/"])
def test_another_learner_reads_the_shared_metrics_without_anyones_words(secret_sent, url):
    response = client_for(UserFactory()).get(url)
    assert response.status_code == 200
    assert not any(secret in response.content.decode() for secret in SECRETS)


def test_the_learners_detail_still_has_the_numbers(secret_sent):
    metrics = client_for(UserFactory()).get("/api/skills/pdf-extract/").data["metrics"]
    assert (metrics["total_invocations"], metrics["error_count"]) == (1, 1)
    assert (metrics["workflow_paths"], metrics["error_types"], metrics["follow_up_actions"]) == ({}, {}, {})


def test_staff_read_every_counter(secret_sent, admin_user):
    staff = client_for(admin_user)
    metrics = staff.get("/api/skills/pdf-extract/").data["metrics"]
    assert (metrics["workflow_paths"], metrics["error_types"], metrics["follow_up_actions"]) == (
        {SECRETS[0]: 1}, {SECRETS[1]: 1}, {SECRETS[2]: 1}
    )  # fmt: skip
    summary = staff.get("/api/analytics/summary/").data
    assert summary["top_workflow_paths"] == [{"workflow_path": SECRETS[0], "count": 1}]


def test_the_schema_says_the_counters_are_for_staff(user_client):
    components = user_client.get("/api/schema/?format=json").json()["components"]["schemas"]
    assert "Staff only" in components["SkillMetrics"]["properties"]["workflow_paths"]["description"]
