"""Experiments' assignment: sticky, the same from every endpoint and the pull client, shares that
hold, excluded users on the control, and what is served changing the moment an experiment ends."""

import math

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from skills.models import SHARE_TOTAL, Experiment, ExperimentStatus
from skills.selectors.experiments import arm_of_bucket, assignment_of, bucket_of, with_arms
from skills.services.experiments import experiment_promote, experiment_stop
from tests.clients.conftest import load_client
from tests.factories import UserFactory, api_key_of, make_experiment

pull_client = load_client("skillsite_pull")


def client_of(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def loaded(experiment) -> Experiment:
    return with_arms(Experiment.objects).get(pk=experiment.pk)


def what_each_endpoint_serves(user, skill_id: str) -> dict:
    client = client_of(user)
    available = {row["name"]: row for row in client.get("/api/skills/available/").data["results"]}[skill_id]
    content = client.get(f"/api/skills/{skill_id}/content/", HTTP_ACCEPT="text/markdown")
    bundle = client.get(f"/api/skills/{skill_id}/bundle/", HTTP_ACCEPT="application/zip")
    access = client.get(f"/api/skills/{skill_id}/access/").data
    return {
        "available": available["version"],
        "content": "treatment" if b"treatment" in content.content else "control",
        "content_etag": content["ETag"].strip('"') == available["sha256"],
        "bundle": bundle["Content-Disposition"].rsplit("-", 1)[1].removesuffix('.zip"'),
        "access": access["experiment"]["version"] if access["experiment"] else None,
    }


@pytest.mark.django_db
def test_every_endpoint_serves_a_user_the_version_of_their_arm():
    experiment = make_experiment()
    arms = {arm.version.version: arm for arm in loaded(experiment).arms.all()}
    seen = set()
    while seen != set(arms):  # users until both arms are seen (at 50/50, three on average)
        user = UserFactory()
        arm = assignment_of(loaded(experiment), user).arm
        served = what_each_endpoint_serves(user, experiment.skill_id)
        version = arm.version.version
        assert served == {"available": version, "content": "treatment" if version == "2.0.0" else "control",
                          "content_etag": True, "bundle": version, "access": version}  # fmt: skip
        assert served == what_each_endpoint_serves(user, experiment.skill_id)  # and again: sticky
        seen.add(version)


@pytest.mark.django_db
def test_access_names_the_experiment_and_the_arm(user, user_client):
    experiment = make_experiment()
    arm = assignment_of(loaded(experiment), user).arm

    body = user_client.get(f"/api/skills/{experiment.skill_id}/access/").data

    assert body["experiment"] == {
        "id": experiment.pk,
        "name": "try 2.0.0",
        "arm": arm.label,
        "version": arm.version.version,
        "counted": True,
    }


def test_the_shares_hold_within_sampling_error_over_10000_users():
    """10 % canary: the bucket is a hash, so 10,000 user ids need no database."""

    class Arm:
        def __init__(self, share):
            self.share = share

    arms = [Arm(9_000), Arm(1_000)]
    users = 10_000
    for experiment_id in (1, 2, 3):
        treated = sum(arm_of_bucket(arms, bucket_of(experiment_id, user_id)) is arms[1] for user_id in range(users))
        expected, sd = users * 0.1, math.sqrt(users * 0.1 * 0.9)
        assert abs(treated - expected) < 4 * sd, (experiment_id, treated)
    # Another experiment re-draws the users: its treatment group is not the same people.
    first = {u for u in range(users) if arm_of_bucket(arms, bucket_of(1, u)) is arms[1]}
    second = {u for u in range(users) if arm_of_bucket(arms, bucket_of(2, u)) is arms[1]}
    assert len(first & second) < 0.2 * len(first)
    assert sum(arm.share for arm in arms) == SHARE_TOTAL


@pytest.mark.django_db
def test_excluded_users_always_get_the_control_and_are_not_counted(admin_user):
    listed = UserFactory.create_batch(30)
    experiment = make_experiment(share=9_999, excluded_users=listed)
    experiment = loaded(experiment)
    for user in [*listed, admin_user]:
        assignment = assignment_of(experiment, user)
        assert assignment.arm.is_control and not assignment.counted
        assert what_each_endpoint_serves(user, experiment.skill_id)["available"] == "1.0.0"
    assert (
        client_of(admin_user).get(f"/api/skills/{experiment.skill_id}/access/").data["experiment"]["counted"] is False
    )
    # The same share with nobody excluded: nearly everyone is treated.
    others = [assignment_of(experiment, UserFactory()).arm.is_control for _ in range(30)]
    assert others.count(True) <= 1


@pytest.mark.django_db
def test_staff_are_in_the_experiment_when_it_does_not_exclude_them(admin_user):
    experiment = loaded(make_experiment(share=9_999, exclude_staff=False))
    assert assignment_of(experiment, admin_user).counted


@pytest.mark.django_db
def test_promote_serves_the_treatment_to_everyone_at_once(admin_user):
    experiment = make_experiment(share=1_000)
    users = UserFactory.create_batch(8)
    treatment = loaded(experiment).arms.all()[1]

    experiment_promote(experiment=experiment, arm=treatment, decided_by=admin_user, reason="faster")

    assert {what_each_endpoint_serves(user, experiment.skill_id)["available"] for user in users} == {"2.0.0"}
    assert all(what_each_endpoint_serves(u, experiment.skill_id)["access"] is None for u in users)
    experiment.refresh_from_db()
    assert experiment.status == ExperimentStatus.PROMOTED
    assert experiment.decision["by"] == admin_user.username and experiment.decision["version"] == "2.0.0"
    assert experiment.decision["figures"]["arms"][1]["version"] == "2.0.0"
    assert experiment.skill.versions.get(is_current=True).version == "2.0.0"


@pytest.mark.django_db
def test_stop_serves_the_control_to_everyone_at_once(admin_user):
    experiment = make_experiment(share=9_000)
    users = UserFactory.create_batch(8)

    experiment_stop(experiment=experiment, decided_by=admin_user, reason="not convinced")

    assert {what_each_endpoint_serves(user, experiment.skill_id)["available"] for user in users} == {"1.0.0"}
    experiment.refresh_from_db()
    assert experiment.status == ExperimentStatus.STOPPED and experiment.decision["reason"] == "not convinced"
    assert experiment.skill.versions.get(is_current=True).version == "1.0.0"


@pytest.mark.django_db
def test_a_version_asked_for_by_name_is_served_as_asked(user, user_client):
    experiment = make_experiment(share=9_999)
    response = user_client.get(f"/api/skills/{experiment.skill_id}/content/?version=1.0.0", HTTP_ACCEPT="text/markdown")
    assert b"control" in response.content


@pytest.mark.django_db(transaction=True)
def test_the_pull_client_installs_the_version_of_the_users_arm(live_server, tmp_path):
    experiment = make_experiment()
    for name in ("ann", "bob", "cat", "dan", "eve", "fay"):
        user = get_user_model().objects.create_user(name)
        token = api_key_of(user, "pull")
        dest = tmp_path / name
        pull_client.pull(base_url=live_server.url, token=token, dest=dest)
        installed = pull_client.load_manifest(dest)[experiment.skill_id]["version"]
        assert installed == assignment_of(loaded(experiment), user).arm.version.version
        assert ("treatment" in (dest / experiment.skill_id / "SKILL.md").read_text()) == (installed == "2.0.0")
