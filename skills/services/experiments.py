"""Write paths of experiments: create (with its plan), start, promote, stop, and the snapshot
that checks the guardrails. Each call is one transaction; the admin, the API and the jobs call these.

A promote or a stop changes what is served in the same transaction that ends the experiment:
serving reads the running experiment (`skills.selectors.experiments.versions_served`), so the
moment the row leaves `running`, every user gets the current version — the promoted treatment,
or the control that stayed current.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from skills.experiment_stats import (
    DEFAULT_LOG_SD,
    P95_SHARE,
    clamp_rate,
    mean_plan_uses,
    rate_plan_uses,
    slow_share_after,
)
from skills.models import (
    EXPERIMENT_TRANSITIONS,
    SHARE_TOTAL,
    Experiment,
    ExperimentArm,
    ExperimentGuardrail,
    ExperimentSnapshot,
    ExperimentStatus,
    Metric,
    Skill,
    SkillVersion,
)
from skills.selectors.experiment_results import experiment_results, recent_uses
from skills.selectors.experiments import with_arms

from .alerts import alert_staff
from .registry import HELD_BACK, skill_version_rollback

NO_CURRENT = "{skill} has no current version to be the control."
NO_TREATMENT = "Choose at least one treatment version."
TREATMENT_IS_CONTROL = "Version {version} is the current version: it is the control."
TREATMENT_OTHER_SKILL = "Version {version} is not a version of {skill}."
TREATMENT_TWICE = "Version {version} is chosen twice."
SHARE_TOO_SMALL = "Each treatment needs a share of at least 0.01 %."
SHARES_TOO_LARGE = "The treatments' shares add up to {total:g} %: leave some users on the control."
GUARDRAIL_IS_PRIMARY = "{metric} is the primary metric: it cannot also be a guardrail."
GUARDRAIL_RANGE = "The worst change allowed must be above 0 % and at most 1000 %."
MIN_EFFECT_RANGE = "The smallest effect must be between 1 % and 1000 % of the control's value."
ALPHA_RANGE = "α must be above 0 and below 0.5."
POWER_RANGE = "Power must be above 0.5 and below 1."
ILLEGAL_TRANSITION = "A {status} experiment cannot be {action}."
CONTROL_NOT_CURRENT = "The current version of {skill} is no longer {version} (the control): create a new experiment."
ALREADY_RUNNING = "{skill} already has a running experiment: stop it first."
PROMOTE_CONTROL = "Choose a treatment to promote: the control is already current (stop the experiment instead)."
ARM_NOT_OF = "That arm is not part of this experiment."
BREACH_SUBJECT = "Experiment stopped by a guardrail: {experiment}"
MIN_HISTORY = 30  # uses of the control before its history is trusted for the plan
HISTORY_USES = 5_000


@dataclass(frozen=True)
class Plan:
    """Uses per arm and what they assume (shown to the admin before the start)."""

    uses_per_arm: int
    baseline: float  # control's expected value: a rate, a mean, or a p95 in ms
    baseline_sd: float  # per use (means), or latency's spread on a log scale
    target: float  # the value a treatment must reach to be detected at the chosen power
    alpha_each: float  # each treatment's test (α shared by Bonferroni)
    assumed: str  # where the baseline came from


def experiment_plan(
    *, control: SkillVersion, metric: str, min_effect: float, alpha: float, power: float, treatments: int
) -> Plan:
    """The planned uses per arm from the smallest effect worth detecting (a fraction of control's
    value), α (shared by the treatments) and power, with control's recent uses as the baseline."""
    _check_plan_inputs(min_effect, alpha, power)
    alpha_each = alpha / max(treatments, 1)
    history = recent_uses(control, HISTORY_USES)
    known = len(history.outcomes) >= MIN_HISTORY
    source = f"from the last {len(history.outcomes):,} uses of {control.version}" if known else "no history: assumed"
    if metric == Metric.SUCCESS_RATE:
        p1 = clamp_rate(history.success_rate()) if known else 0.5
        p2 = clamp_rate(p1 * (1 + min_effect) if p1 * (1 + min_effect) < 1 else p1 * (1 - min_effect))
        return Plan(rate_plan_uses(p1, p2, alpha_each, power), p1, 0.0, p2, alpha_each, source)
    if metric == Metric.LATENCY_P95:
        log_sd = history.latency_log_sd() if len(history.latencies) >= MIN_HISTORY else None
        log_sd = log_sd or DEFAULT_LOG_SD
        p2 = clamp_rate(slow_share_after(min_effect, log_sd))
        uses = rate_plan_uses(P95_SHARE, p2, alpha_each, power)
        p95 = history.latency_p95() or 0.0
        return Plan(uses, p95, log_sd, p95 * (1 + min_effect), alpha_each, source)
    mean, sd = history.mean_sd(metric) if known else (0.0, 0.0)
    if not mean or not sd:
        # No spread to measure: assume one standard deviation per use equal to the mean.
        mean, sd, source = mean or 1.0, mean or 1.0, source if known and mean else "no history: assumed"
    return Plan(mean_plan_uses(sd, mean * min_effect, alpha_each, power), mean, sd, mean * (1 + min_effect),
                alpha_each, source)  # fmt: skip


def _check_plan_inputs(min_effect: float, alpha: float, power: float) -> None:
    errors = {}
    if not 0.01 <= min_effect <= 10:
        errors["min_effect"] = MIN_EFFECT_RANGE
    if not 0 < alpha < 0.5:
        errors["alpha"] = ALPHA_RANGE
    if not 0.5 < power < 1:
        errors["power"] = POWER_RANGE
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def experiment_create(
    *,
    skill: Skill,
    name: str,
    treatments: list[tuple[SkillVersion, int]],
    primary_metric: str = Metric.SUCCESS_RATE,
    min_effect: float,
    alpha: float = 0.05,
    power: float = 0.8,
    guardrails: dict[str, float] | None = None,
    exclude_staff: bool = True,
    excluded_users=(),
    created_by=None,
) -> Experiment:
    """A draft experiment: the control is the current version with the users the treatments leave;
    `treatments` are (version, share in basis points). Its plan is stored for the admin to read."""
    control = skill.versions.filter(is_current=True).first()
    if control is None:
        raise ValidationError({"treatments": NO_CURRENT.format(skill=skill.skill_id)})
    _check_treatments(skill, control, treatments)
    guardrails = guardrails or {}
    _check_guardrails(primary_metric, guardrails)
    plan = experiment_plan(control=control, metric=primary_metric, min_effect=min_effect, alpha=alpha,
                           power=power, treatments=len(treatments))  # fmt: skip
    experiment = Experiment(
        skill=skill, name=name, primary_metric=primary_metric, min_effect=min_effect, alpha=alpha, power=power,
        baseline=plan.baseline, baseline_sd=plan.baseline_sd, planned_uses=plan.uses_per_arm,
        exclude_staff=exclude_staff, created_by=created_by,
    )  # fmt: skip
    experiment.full_clean()
    experiment.save()
    experiment.excluded_users.set(excluded_users)
    control_share = SHARE_TOTAL - sum(share for _version, share in treatments)
    arms = [ExperimentArm(experiment=experiment, position=0, version=control, share=control_share)]
    arms += [
        ExperimentArm(experiment=experiment, position=index, version=version, share=share)
        for index, (version, share) in enumerate(treatments, start=1)
    ]
    ExperimentArm.objects.bulk_create(arms)
    ExperimentGuardrail.objects.bulk_create(
        ExperimentGuardrail(experiment=experiment, metric=metric, worst_change=worst)
        for metric, worst in sorted(guardrails.items())
    )
    return experiment


def _check_treatments(skill: Skill, control: SkillVersion, treatments: list[tuple[SkillVersion, int]]) -> None:
    if not treatments:
        raise ValidationError({"treatments": NO_TREATMENT})
    seen: set[int] = set()
    for version, share in treatments:
        if version.skill_id != skill.skill_id:
            raise ValidationError({"treatments": TREATMENT_OTHER_SKILL.format(version=version, skill=skill.skill_id)})
        if version.pk == control.pk:
            raise ValidationError({"treatments": TREATMENT_IS_CONTROL.format(version=version.version)})
        if version.pk in seen:
            raise ValidationError({"treatments": TREATMENT_TWICE.format(version=version.version)})
        if version.held:  # serving it to a share of users is deploying it
            raise ValidationError({"treatments": HELD_BACK.format(version=version, count=version.high_findings)})
        seen.add(version.pk)
        if share < 1:
            raise ValidationError({"treatments": SHARE_TOO_SMALL})
    total = sum(share for _version, share in treatments)
    if total >= SHARE_TOTAL:
        raise ValidationError({"treatments": SHARES_TOO_LARGE.format(total=total / 100)})


def _check_guardrails(primary: str, guardrails: dict[str, float]) -> None:
    for metric, worst in guardrails.items():
        if metric == primary:
            raise ValidationError({"guardrails": GUARDRAIL_IS_PRIMARY.format(metric=Metric(metric).label)})
        if not (0 < worst <= 10) or math.isnan(worst):
            raise ValidationError({"guardrails": GUARDRAIL_RANGE})


def _locked(experiment: Experiment, target: str, action: str) -> Experiment:
    experiment = with_arms(Experiment.objects.select_for_update()).select_related("skill").get(pk=experiment.pk)
    if target not in EXPERIMENT_TRANSITIONS[experiment.status]:
        raise ValidationError(ILLEGAL_TRANSITION.format(status=experiment.get_status_display().lower(), action=action))
    return experiment


@transaction.atomic
def experiment_start(*, experiment: Experiment, started_by=None) -> Experiment:
    experiment = _locked(experiment, ExperimentStatus.RUNNING, "started")
    control = experiment.arms.all()[0].version
    if not SkillVersion.objects.filter(pk=control.pk, is_current=True).exists():
        raise ValidationError(CONTROL_NOT_CURRENT.format(skill=experiment.skill_id, version=control.version))
    experiment.status, experiment.started_at = ExperimentStatus.RUNNING, timezone.now()
    try:
        with transaction.atomic():
            experiment.save(update_fields=["status", "started_at"])
    except IntegrityError as error:  # the constraint: one running experiment a skill
        raise ValidationError(ALREADY_RUNNING.format(skill=experiment.skill_id)) from error
    return experiment


def _end(experiment: Experiment, status: str, *, by, reason: str, arm: ExperimentArm | None = None) -> Experiment:
    """Ends the (locked) experiment: the figures at this moment, who, when and why are its decision."""
    now = timezone.now()
    figures = experiment_results(experiment, until=now) if experiment.started_at else None
    experiment.status, experiment.ended_at, experiment.decided_by = status, now, by
    experiment.promoted_arm = arm
    experiment.decision = {
        "action": status,
        "by": by.get_username() if by else None,
        "at": now.isoformat(),
        "reason": reason,
        "arm": arm.label if arm else None,
        "version": arm.version.version if arm else None,
        "figures": figures,
    }
    experiment.save(update_fields=["status", "ended_at", "decided_by", "promoted_arm", "decision"])
    if figures:
        ExperimentSnapshot.objects.create(experiment=experiment, taken_at=now, results=figures)
    return experiment


@transaction.atomic
def experiment_promote(*, experiment: Experiment, arm: ExperimentArm, decided_by, reason: str = "") -> Experiment:
    """The treatment becomes the current version for everyone and the experiment ends, recorded."""
    experiment = _locked(experiment, ExperimentStatus.PROMOTED, "promoted")
    arm = next((candidate for candidate in experiment.arms.all() if candidate.pk == arm.pk), None)
    if arm is None:
        raise ValidationError(ARM_NOT_OF)
    if arm.is_control:
        raise ValidationError(PROMOTE_CONTROL)
    experiment = _end(experiment, ExperimentStatus.PROMOTED, by=decided_by, reason=reason, arm=arm)
    skill_version_rollback(skill=experiment.skill, version=arm.version.version)  # makes it the current one
    return experiment


@transaction.atomic
def experiment_stop(*, experiment: Experiment, decided_by, reason: str = "") -> Experiment:
    """Ends the experiment (or drops a draft): the control stays current, everyone is served it."""
    experiment = _locked(experiment, ExperimentStatus.STOPPED, "stopped")
    return _end(experiment, ExperimentStatus.STOPPED, by=decided_by, reason=reason)


@transaction.atomic
def experiment_snapshot_take(*, experiment: Experiment) -> ExperimentSnapshot:
    """Records the results now; a running experiment with a guardrail breached is stopped (everyone
    back on the control) and staff are told by email and by the admin's banner."""
    experiment = with_arms(Experiment.objects.select_for_update()).get(pk=experiment.pk)
    now = timezone.now()
    results = experiment_results(experiment, until=now)
    snapshot = ExperimentSnapshot.objects.create(experiment=experiment, taken_at=now, results=results)
    if experiment.status == ExperimentStatus.RUNNING and results["breaches"]:
        reason = "; ".join(results["breaches"])
        _end(experiment, ExperimentStatus.BREACHED, by=None, reason=reason)
        subject = BREACH_SUBJECT.format(experiment=experiment)
        transaction.on_commit(lambda: alert_staff(subject, f"{reason}. Everyone is back on the control."))
    return snapshot


def experiments_snapshot_running() -> int:
    """The scheduled job: a snapshot of every running experiment; returns how many."""
    taken = 0
    for experiment in Experiment.objects.running().order_by("pk"):
        experiment_snapshot_take(experiment=experiment)
        taken += 1
    return taken


@transaction.atomic
def experiment_breach_acknowledge(*, experiment: Experiment) -> None:
    """Staff saw the breach: the banner goes."""
    Experiment.objects.filter(pk=experiment.pk, breach_acknowledged_at__isnull=True).update(
        breach_acknowledged_at=timezone.now()
    )
