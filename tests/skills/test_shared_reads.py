"""Issue 24, point 4: shared reads show shared facts. What events say in their senders' own words —
workflow paths, error types, follow-up actions — reaches a non-staff reader only once
METRICS_MIN_DISTINCT_USERS (3) distinct users sent it; staff read every value kept. Learner A's
"A/secret/path" never reaches learner B through a skill's metrics or the analytics summary."""

import uuid

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from skills.ingestion.events import FOLLOW_UP_MAX_LENGTH, FOLLOW_UPS_MAX
from skills.ingestion.fold import usage_rollups_fold
from skills.models import SkillMetrics
from tests.factories import SkillFactory, UserFactory

pytestmark = pytest.mark.django_db

SECRETS = ("A/secret/path", "SecretVaultError", "rotate-the-secret-key")
READS = ["/api/skills/pdf-extract/", "/api/analytics/summary/"]


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def send(user, skill_id: str = "pdf-extract", times: int = 1, **fields) -> None:
    """`user` posts `times` events carrying the secrets (or `fields`) through the API; then a fold."""
    text = {"workflow_path": SECRETS[0], "error_type": SECRETS[1], "follow_up_actions": [SECRETS[2]]}
    for _ in range(times):
        event = {
            "event_id": str(uuid.uuid4()), "skill_id": skill_id, "outcome": "error",
            "occurred_at": timezone.now().isoformat(), **text, **fields,
        }  # fmt: skip
        assert client_for(user).post("/api/events/", event, format="json").status_code == 201
    usage_rollups_fold()


@pytest.fixture
def skill():
    return SkillFactory(skill_id="pdf-extract")


def free_text_of(client) -> tuple[dict, dict, dict, list, list]:
    metrics = client.get("/api/skills/pdf-extract/").data["metrics"]
    summary = client.get("/api/analytics/summary/").data
    return (
        metrics["workflow_paths"], metrics["error_types"], metrics["follow_up_actions"],
        summary["top_workflow_paths"], summary["top_error_types"],
    )  # fmt: skip


@pytest.mark.parametrize("url", READS)
def test_one_learners_words_do_not_reach_another_learner(skill, url):
    send(UserFactory(), times=5)
    response = client_for(UserFactory()).get(url)
    assert response.status_code == 200
    assert not any(secret in response.content.decode() for secret in SECRETS)


def test_the_learners_detail_still_has_the_numbers(skill):
    send(UserFactory())
    metrics = client_for(UserFactory()).get("/api/skills/pdf-extract/").data["metrics"]
    assert (metrics["total_invocations"], metrics["error_count"]) == (1, 1)
    assert (metrics["workflow_paths"], metrics["error_types"], metrics["follow_up_actions"]) == ({}, {}, {})


def test_two_learners_are_not_enough_and_the_third_shares_it(skill):
    reader = client_for(UserFactory())
    send(UserFactory(), times=4)
    send(UserFactory())
    assert free_text_of(reader) == ({}, {}, {}, [], [])

    send(UserFactory())

    assert free_text_of(reader) == (
        {SECRETS[0]: 6}, {SECRETS[1]: 6}, {SECRETS[2]: 6},
        [{"workflow_path": SECRETS[0], "count": 6}], [{"error_type": SECRETS[1], "count": 6}],
    )  # fmt: skip


def test_a_value_is_shared_alone_others_sent_with_it_stay_hidden(skill):
    for n in range(3):
        send(UserFactory(), workflow_path="plan/execute", error_type=f"Private{n}", follow_up_actions=[])
    paths, errors, *_ = free_text_of(client_for(UserFactory()))
    assert (paths, errors) == ({"plan/execute": 3}, {})


def test_staff_read_every_value_from_the_first_sender(skill, admin_user):
    send(UserFactory())
    assert free_text_of(client_for(admin_user)) == (
        {SECRETS[0]: 1}, {SECRETS[1]: 1}, {SECRETS[2]: 1},
        [{"workflow_path": SECRETS[0], "count": 1}], [{"error_type": SECRETS[1], "count": 1}],
    )  # fmt: skip


def test_the_summary_counts_distinct_users_across_skills_and_each_skill_only_its_own(skill):
    SkillFactory(skill_id="docx")
    send(UserFactory(), workflow_path="load/parse")
    send(UserFactory(), workflow_path="load/parse")
    send(UserFactory(), skill_id="docx", workflow_path="load/parse")
    reader = client_for(UserFactory())
    assert reader.get("/api/skills/pdf-extract/").data["metrics"]["workflow_paths"] == {}
    assert reader.get("/api/skills/docx/").data["metrics"]["workflow_paths"] == {}
    assert reader.get("/api/analytics/summary/").data["top_workflow_paths"] == [
        {"workflow_path": "load/parse", "count": 3}
    ]


def test_the_threshold_is_a_setting(skill, settings):
    settings.METRICS_MIN_DISTINCT_USERS = 2
    send(UserFactory())
    send(UserFactory())
    assert client_for(UserFactory()).get("/api/skills/pdf-extract/").data["metrics"]["workflow_paths"] == {
        SECRETS[0]: 2
    }


def test_the_stored_counter_names_no_more_senders_than_the_threshold(skill):
    senders = [UserFactory() for _ in range(5)]
    for user in reversed(senders):
        send(user)
    stored = SkillMetrics.objects.get(skill_id="pdf-extract").workflow_paths
    assert stored == {SECRETS[0]: [5, sorted(user.pk for user in senders)[:3]]}
    response = client_for(UserFactory()).get("/api/skills/pdf-extract/").content.decode()
    assert f'"{SECRETS[0]}":5' in response.replace(" ", "")  # a count, never who sent it


def test_the_schema_says_who_reads_which_values(user_client):
    components = user_client.get("/api/schema/?format=json").json()["components"]["schemas"]
    paths = components["SkillMetrics"]["properties"]["workflow_paths"]
    assert "METRICS_MIN_DISTINCT_USERS" in paths["description"] and "METRICS_TOP_K" in paths["description"]
    assert paths["additionalProperties"] == {"type": "integer"}


def test_an_event_with_more_follow_ups_than_the_cap_is_refused_naming_it(skill, user_client):
    event = {"event_id": str(uuid.uuid4()), "skill_id": "pdf-extract", "outcome": "success",
             "follow_up_actions": [f"step-{n}" for n in range(FOLLOW_UPS_MAX + 1)]}  # fmt: skip
    response = user_client.post("/api/events/", event, format="json")
    assert response.status_code == 400
    assert "follow_up_actions" in response.content.decode() and str(FOLLOW_UPS_MAX) in response.content.decode()


def test_a_follow_up_longer_than_the_cap_is_refused_naming_it(skill, user_client):
    event = {"event_id": str(uuid.uuid4()), "skill_id": "pdf-extract", "outcome": "success",
             "follow_up_actions": ["x" * (FOLLOW_UP_MAX_LENGTH + 1)]}  # fmt: skip
    response = user_client.post("/api/events/", event, format="json")
    assert response.status_code == 400
    assert "follow_up_actions" in response.content.decode()
    assert str(FOLLOW_UP_MAX_LENGTH) in response.content.decode()


def test_the_admins_skill_page_shows_staff_the_top_errors_from_the_first_sender(skill, admin_client):
    send(UserFactory(), times=2)
    assert f"{SECRETS[1]} (2)" in admin_client.get("/admin/skills/skill/pdf-extract/change/").content.decode()


def test_a_learner_cannot_open_the_admins_pages_that_show_every_value(skill, client):
    send(UserFactory())
    client.force_login(UserFactory())
    for url in ("/admin/skills/skill/pdf-extract/change/", "/admin/skills/dashboard/"):
        response = client.get(url)
        assert response.status_code == 302 and SECRETS[0] not in response.content.decode()
