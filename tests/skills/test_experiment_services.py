"""Experiments' write paths: the plan, what create refuses, the status machine, one running a skill."""

import pytest
from django.core.exceptions import ValidationError

from skills.models import CandidateStatus, Experiment, ExperimentArm, ExperimentStatus, Metric
from skills.services import experiments as services
from skills.services.emergence import candidate_deploy
from skills.services.experiments import (
    experiment_create,
    experiment_plan,
    experiment_start,
    experiment_stop,
)
from skills.services.registry import skill_version_publish
from tests.factories import EmergenceCandidateFactory, SkillFactory, UserFactory, make_experiment

pytestmark = pytest.mark.django_db


def versions(skill):
    control = skill_version_publish(skill=skill, version="1.0.0", content="control")
    treatment = skill_version_publish(skill=skill, version="2.0.0", content="treatment", make_current=False)
    return control, treatment


def test_publishing_aside_keeps_the_current_version():
    skill = SkillFactory()
    control, treatment = versions(skill)
    control.refresh_from_db()
    assert control.is_current and not treatment.is_current and treatment.current_since is None


def test_the_plan_follows_the_textbook_sample_size():
    control, _treatment = versions(SkillFactory())
    # 50 % → 60 % (a 20 % change), α 0.05, power 0.8: the two-proportion formula gives 388 a group.
    plan = experiment_plan(control=control, metric=Metric.SUCCESS_RATE, min_effect=0.2, alpha=0.05, power=0.8,
                           treatments=1)  # fmt: skip
    assert (plan.uses_per_arm, plan.baseline, round(plan.target, 3)) == (388, 0.5, 0.6)
    # Two treatments share α (Bonferroni): each test at 0.025 needs more uses.
    two = experiment_plan(control=control, metric=Metric.SUCCESS_RATE, min_effect=0.2, alpha=0.05, power=0.8,
                          treatments=2)  # fmt: skip
    assert two.alpha_each == 0.025 and two.uses_per_arm > plan.uses_per_arm


def test_a_smaller_effect_needs_more_uses_for_every_metric():
    control, _treatment = versions(SkillFactory())
    for metric in Metric.values:
        big, small = (
            experiment_plan(control=control, metric=metric, min_effect=effect, alpha=0.05, power=0.8, treatments=1)
            for effect in (0.5, 0.1)
        )
        assert small.uses_per_arm > big.uses_per_arm > 0, metric


def test_create_stores_arms_shares_guardrails_and_the_plan():
    skill = SkillFactory()
    control, treatment = versions(skill)
    excluded = UserFactory()

    experiment = experiment_create(
        skill=skill, name="canary", treatments=[(treatment, 1_000)], min_effect=0.2,
        guardrails={Metric.LATENCY_P95: 0.5}, excluded_users=[excluded],
    )  # fmt: skip

    arms = list(experiment.arms.order_by("position").values_list("version__version", "share"))
    assert arms == [("1.0.0", 9_000), ("2.0.0", 1_000)]
    assert experiment.status == ExperimentStatus.DRAFT and experiment.planned_uses == 388
    assert list(experiment.guardrails.values_list("metric", "worst_change")) == [("latency_p95", 0.5)]
    assert list(experiment.excluded_users.all()) == [excluded]


@pytest.mark.parametrize(
    ("treatments", "message"),
    [
        ([], services.NO_TREATMENT),
        (["control"], services.TREATMENT_IS_CONTROL.format(version="1.0.0")),
        (["treatment", "treatment"], services.TREATMENT_TWICE.format(version="2.0.0")),
        (["other"], "is not a version of"),
    ],
)
def test_create_refuses_bad_treatments_and_writes_nothing(treatments, message):
    skill = SkillFactory()
    control, treatment = versions(skill)
    other = skill_version_publish(skill=SkillFactory(), version="9.0.0", content="x")
    chosen = {"control": control, "treatment": treatment, "other": other}
    with pytest.raises(ValidationError) as refused:
        experiment_create(skill=skill, name="x", treatments=[(chosen[t], 100) for t in treatments], min_effect=0.2)
    assert message in str(refused.value.message_dict["treatments"])
    assert not Experiment.objects.exists() and not ExperimentArm.objects.exists()


@pytest.mark.parametrize(
    ("options", "field", "message"),
    [
        ({"min_effect": 0}, "min_effect", services.MIN_EFFECT_RANGE),
        ({"alpha": 0.5}, "alpha", services.ALPHA_RANGE),
        ({"power": 0.3}, "power", services.POWER_RANGE),
        ({"guardrails": {Metric.SUCCESS_RATE: 0.1}}, "guardrails", "the primary metric"),
        ({"guardrails": {Metric.COST: -1}}, "guardrails", services.GUARDRAIL_RANGE),
        ({"share": 10_000}, "treatments", services.SHARES_TOO_LARGE.format(total=100)),
    ],
)
def test_create_refuses_bad_settings_naming_the_field(options, field, message):
    skill = SkillFactory()
    _control, treatment = versions(skill)
    share = options.pop("share", 5_000)
    options.setdefault("min_effect", 0.2)
    with pytest.raises(ValidationError) as refused:
        experiment_create(skill=skill, name="x", treatments=[(treatment, share)], **options)
    assert message in str(refused.value.message_dict[field])
    assert not Experiment.objects.exists()


def test_one_running_experiment_a_skill():
    first = make_experiment()
    second = experiment_create(
        skill=first.skill, name="again", treatments=[(first.arms.get(position=1).version, 100)], min_effect=0.2
    )
    with pytest.raises(ValidationError, match="already has a running experiment"):
        experiment_start(experiment=second)
    second.refresh_from_db()
    assert second.status == ExperimentStatus.DRAFT and second.started_at is None


def test_an_experiment_whose_control_is_no_longer_current_cannot_start():
    experiment = make_experiment(start=False)
    skill_version_publish(skill=experiment.skill, version="3.0.0", content="newer")
    with pytest.raises(ValidationError, match="no longer 1.0.0"):
        experiment_start(experiment=experiment)


def test_ended_experiments_cannot_be_started_or_stopped_again(admin_user):
    experiment = experiment_stop(experiment=make_experiment(), decided_by=admin_user)
    for action in (experiment_start, lambda experiment: experiment_stop(experiment=experiment, decided_by=None)):
        with pytest.raises(ValidationError, match="A stopped experiment cannot be"):
            action(experiment=experiment) if action is experiment_start else action(experiment)
    experiment.refresh_from_db()
    assert experiment.status == ExperimentStatus.STOPPED and experiment.decision["by"] == admin_user.username


def test_a_draft_can_be_dropped_without_figures(admin_user):
    experiment = experiment_stop(experiment=make_experiment(start=False), decided_by=admin_user, reason="typo")
    assert experiment.status == ExperimentStatus.STOPPED and experiment.decision["figures"] is None


def test_a_candidate_deployed_as_an_experiment_reaches_ten_percent_first(admin_user):
    candidate = EmergenceCandidateFactory(skills=["pdf-extract", "summarize"], status=CandidateStatus.APPROVED)

    candidate_deploy(candidate=candidate, reviewer=admin_user, note="try it", as_experiment=True)

    experiment = Experiment.objects.get()
    assert experiment.status == ExperimentStatus.RUNNING and experiment.created_by == admin_user
    control, treatment = experiment.arms.order_by("position")
    assert (control.share, treatment.share) == (9_000, 1_000)
    assert "on their own" in control.version.content and control.version.is_current
    assert "members: pdf-extract, summarize" in treatment.version.content and not treatment.version.is_current


def test_the_deploy_page_offers_the_experiment(admin_client):
    candidate = EmergenceCandidateFactory(skills=["a", "b"], status=CandidateStatus.APPROVED)
    deploy = f"/admin/skills/emergencecandidate/{candidate.pk}/review/deploy/"
    assert 'name="as_experiment"' in admin_client.get(deploy).content.decode()
    admin_client.post(deploy, {"note": "ship to some", "as_experiment": "on"})
    assert Experiment.objects.get().arms.get(position=1).share == 1_000
