"""Experiments in the admin: create a draft (its plan shown), start, watch, promote, stop; the
breach banner; the history on the skill's page; and what a user without the rights gets."""

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from skills.models import Experiment, ExperimentStatus, Tier
from skills.services.registry import skill_version_publish
from tests.factories import SkillFactory, UserFactory, make_experiment

pytestmark = pytest.mark.django_db


def watch(experiment) -> str:
    return reverse("admin:skills_experiment_change", args=[experiment.pk])


FORM = {"name": "canary", "share_percent": "10", "primary_metric": "success_rate", "min_effect_percent": "20",
        "alpha": "0.05", "power": "0.8", "exclude_staff": "on", "guard_latency_p95": "50"}  # fmt: skip


def test_an_admin_creates_a_draft_with_a_new_version_and_reads_its_plan(admin_client):
    skill = SkillFactory(skill_id="pdf")
    skill_version_publish(skill=skill, version="1.0.0", content="control")
    add = reverse("admin:skills_experiment_add")
    assert b'name="skill"' in admin_client.get(add).content  # the first step: which skill

    response = admin_client.post(f"{add}?skill=pdf", {**FORM, "new_version": "2.0.0", "new_content": "new body"})

    experiment = Experiment.objects.get()
    assert response.status_code == 302 and response["Location"] == watch(experiment)
    assert skill.versions.get(version="2.0.0").is_current is False  # published aside
    assert [(a.version.version, a.share) for a in experiment.arms.all()] == [("1.0.0", 9_000), ("2.0.0", 1_000)]
    page = admin_client.get(watch(experiment)).content.decode()
    assert "388 uses per arm" in page and 'id="start"' in page


def test_the_form_names_the_field_it_refuses_and_creates_nothing(admin_client):
    skill = SkillFactory(skill_id="pdf")
    skill_version_publish(skill=skill, version="1.0.0", content="control")
    add = reverse("admin:skills_experiment_add") + "?skill=pdf"

    no_version = admin_client.post(add, FORM)
    taken = admin_client.post(add, {**FORM, "new_version": "1.0.0", "new_content": "x"})
    effect = admin_client.post(add, {**FORM, "new_version": "2.0.0", "new_content": "x", "min_effect_percent": "0"})

    assert "Choose a version to try" in no_version.content.decode()
    assert "already has a version 1.0.0" in taken.content.decode()
    assert "smallest effect must be between" in effect.content.decode()
    assert not Experiment.objects.exists() and skill.versions.count() == 1  # the new version rolled back too


def test_start_watch_and_promote_by_posting_the_buttons(admin_client):
    experiment = make_experiment(start=False)
    assert admin_client.post(reverse("admin:skills_experiment_start", args=[experiment.pk])).status_code == 302
    page = admin_client.get(watch(experiment)).content.decode()
    assert "Arms side by side" in page and "not enough data yet" in page and 'id="promote-1"' in page
    arm = experiment.arms.get(position=1)

    admin_client.post(reverse("admin:skills_experiment_promote", args=[experiment.pk, arm.pk]))

    experiment.refresh_from_db()
    assert experiment.status == ExperimentStatus.PROMOTED
    assert experiment.skill.versions.get(is_current=True).version == "2.0.0"
    assert "2.0.0 became current" in admin_client.get(watch(experiment)).content.decode()


def test_stop_keeps_the_control(admin_client):
    experiment = make_experiment()
    admin_client.post(reverse("admin:skills_experiment_stop", args=[experiment.pk]), {"reason": "enough"})
    experiment.refresh_from_db()
    assert experiment.status == ExperimentStatus.STOPPED and experiment.decision["reason"] == "enough"


def test_the_buttons_refuse_a_get_and_a_user_without_the_right(client):
    experiment = make_experiment()
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_experiment"))
    as_viewer = Client()
    as_viewer.force_login(viewer)
    arm = experiment.arms.get(position=1)
    promote = reverse("admin:skills_experiment_promote", args=[experiment.pk, arm.pk])

    assert as_viewer.get(watch(experiment)).status_code == 200  # may watch
    assert as_viewer.post(promote).status_code == 403
    assert as_viewer.post(reverse("admin:skills_experiment_stop", args=[experiment.pk])).status_code == 403
    assert client.post(promote).status_code == 302  # not signed in: to the login page
    experiment.refresh_from_db()
    assert experiment.status == ExperimentStatus.RUNNING
    assert experiment.skill.versions.get(is_current=True).version == "1.0.0"


def test_a_breach_shows_a_banner_until_acknowledged(admin_client, admin_user):
    experiment = make_experiment()
    breach = {"reason": "treatment 1: Latency p95 worse"}
    Experiment.objects.filter(pk=experiment.pk).update(status=ExperimentStatus.BREACHED, decision=breach)
    page = admin_client.get(reverse("admin:index")).content.decode()
    assert f'id="experiment-breach-{experiment.pk}"' in page and "Latency p95 worse" in page

    admin_client.post(reverse("admin:skills_experiment_acknowledge", args=[experiment.pk]))

    assert "experiment-breach" not in admin_client.get(reverse("admin:index")).content.decode()


def test_the_skill_page_lists_its_experiments(admin_client, admin_user):
    skill = SkillFactory(tier=Tier.FOUNDATIONAL)
    experiment = make_experiment(skill=skill)
    page = admin_client.get(reverse("admin:skills_skill_change", args=[skill.pk])).content.decode()
    assert 'id="experiment-history"' in page and watch(experiment) in page and "Running" in page
    assert f"?skill={skill.pk}" in page  # the way to start the next one
