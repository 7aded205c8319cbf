"""The experiments API: staff create, start, promote and stop; anyone who may load the skill reads
the results; everyone else gets 404, and every refused request leaves things as they were."""

import pytest
from rest_framework.test import APIClient

from skills.models import Experiment, ExperimentStatus, Tier
from skills.services.registry import skill_unlock_grant, skill_version_publish
from tests.factories import SkillFactory, make_experiment

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(admin_user):
    client = APIClient()
    client.force_authenticate(admin_user)
    return client


def drafted_skill():
    skill = SkillFactory(skill_id="pdf", tier=Tier.STANDARD)
    skill_version_publish(skill=skill, version="1.0.0", content="control")
    skill_version_publish(skill=skill, version="2.0.0", content="treatment", make_current=False)
    return skill


BODY = {"skill": "pdf", "name": "canary", "treatments": [{"version": "2.0.0", "share": 1000}], "min_effect": 0.2,
        "guardrails": {"latency_p95": 0.5}}  # fmt: skip


def test_staff_create_start_and_promote(staff_client, admin_user):
    drafted_skill()

    created = staff_client.post("/api/experiments/", BODY, format="json")

    assert created.status_code == 201, created.data
    body = created.data
    assert body["status"] == "draft" and body["planned_uses"] == 388 and body["guardrails"] == {"latency_p95": 0.5}
    assert [(arm["label"], arm["version"], arm["share_percent"]) for arm in body["arms"]] == [
        ("control", "1.0.0", 90.0),
        ("treatment 1", "2.0.0", 10.0),
    ]
    started = staff_client.post(f"/api/experiments/{body['id']}/start/")
    assert started.status_code == 200 and started.data["status"] == "running"

    promoted = staff_client.post(f"/api/experiments/{body['id']}/promote/", {"arm": body["arms"][1]["id"]})

    assert promoted.status_code == 200, promoted.data
    assert promoted.data["status"] == "promoted" and promoted.data["decided_by"] == admin_user.username
    assert promoted.data["decision"]["version"] == "2.0.0"


def test_create_refuses_an_unknown_version_naming_the_field(staff_client):
    drafted_skill()
    body = {**BODY, "treatments": [{"version": "9.9.9", "share": 1000}]}
    response = staff_client.post("/api/experiments/", body, format="json")
    assert response.status_code == 400 and "no version 9.9.9" in str(response.data["errors"]["treatments"])
    assert not Experiment.objects.exists()


def test_create_refuses_bad_settings_naming_the_field(staff_client):
    drafted_skill()
    for changed, field in (({"min_effect": 0}, "min_effect"), ({"guardrails": {"speed": 1}}, "guardrails"),
                           ({"treatments": [{"version": "2.0.0", "share": 10_000}]}, "treatments")):  # fmt: skip
        response = staff_client.post("/api/experiments/", {**BODY, **changed}, format="json")
        assert response.status_code == 400 and field in response.data["errors"], (changed, response.data)
    assert not Experiment.objects.exists()


def test_promoting_an_arm_of_another_experiment_is_refused(staff_client):
    first, second = make_experiment(), make_experiment()
    foreign_arm = second.arms.get(position=1)
    response = staff_client.post(f"/api/experiments/{first.pk}/promote/", {"arm": foreign_arm.pk})
    assert response.status_code == 400
    first.refresh_from_db()
    assert first.status == ExperimentStatus.RUNNING
    assert first.skill.versions.get(is_current=True).version == "1.0.0"


def test_a_learner_may_not_create_start_promote_or_stop(user_client, user):
    experiment = make_experiment()  # a foundational skill: the learner may read it
    skill_unlock_grant(user=user, skill_id=experiment.skill_id)
    arm = experiment.arms.get(position=1)
    attempts = [
        user_client.post("/api/experiments/", {**BODY, "skill": experiment.skill_id}, format="json"),
        user_client.post(f"/api/experiments/{experiment.pk}/promote/", {"arm": arm.pk}),
        user_client.post(f"/api/experiments/{experiment.pk}/stop/"),
        user_client.post(f"/api/experiments/{experiment.pk}/start/"),
    ]
    assert [response.status_code for response in attempts] == [403, 403, 403, 403]
    experiment.refresh_from_db()
    assert experiment.status == ExperimentStatus.RUNNING and Experiment.objects.count() == 1
    assert experiment.skill.versions.get(is_current=True).version == "1.0.0"


def test_anyone_who_may_load_the_skill_reads_the_results(user_client):
    experiment = make_experiment()  # foundational: loadable by everyone
    response = user_client.get(f"/api/experiments/{experiment.pk}/results/")
    assert response.status_code == 200
    results = response.data["results"]
    assert [arm["label"] for arm in results["arms"]] == ["control", "treatment 1"]
    assert results["arms"][1]["verdict"] == "not enough data yet"
    assert user_client.get("/api/experiments/").data["count"] == 1


def test_a_user_who_may_not_load_the_skill_gets_404(user_client):
    locked = SkillFactory(tier=Tier.STANDARD)
    experiment = make_experiment(skill=locked)
    assert user_client.get(f"/api/experiments/{experiment.pk}/").status_code == 404
    assert user_client.get(f"/api/experiments/{experiment.pk}/results/").status_code == 404
    assert user_client.get("/api/experiments/").data["count"] == 0


def test_anonymous_callers_are_refused(api_client):
    experiment = make_experiment()
    assert api_client.get(f"/api/experiments/{experiment.pk}/results/").status_code in (401, 403)
    assert api_client.post(f"/api/experiments/{experiment.pk}/stop/").status_code in (401, 403)
    experiment.refresh_from_db()
    assert experiment.status == ExperimentStatus.RUNNING
