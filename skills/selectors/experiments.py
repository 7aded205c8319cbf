"""Who gets which version: experiments' assignment and the one choice of the version served.

A user's arm is a pure function of (experiment, user): the first 8 bytes of
sha256("experiment:<id>:user:<id>") modulo 10,000 pick a bucket, and the arms, in order, own
consecutive runs of buckets as long as their shares. Nothing is stored per user, so every endpoint,
process and replica computes the same arm, and the results attribute a user's events to the same
arm (intention to treat: whatever version the client says it ran). Excluded users (anonymous,
staff when the experiment says so, and listed users) are served the control and not counted.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet

from skills.models import SHARE_TOTAL, Experiment, ExperimentArm, ExperimentStatus, Skill, SkillVersion


def bucket_of(experiment_id: int, user_id: int) -> int:
    digest = hashlib.sha256(f"experiment:{experiment_id}:user:{user_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % SHARE_TOTAL


def arm_of_bucket(arms: list[ExperimentArm], bucket: int) -> ExperimentArm:
    """The arm whose run of buckets holds `bucket` (arms in position order, shares summing to 10,000)."""
    end = 0
    for arm in arms:
        end += arm.share
        if bucket < end:
            return arm
    return arms[0]  # unreachable while the shares sum to 10,000; the control is the safe answer


@dataclass(frozen=True)
class Assignment:
    experiment: Experiment
    arm: ExperimentArm
    counted: bool  # False for an excluded user: served the control, left out of the results


def with_arms(experiments: QuerySet[Experiment]) -> QuerySet[Experiment]:
    """Experiments with `arms` (and their versions, without content) prefetched: 2 queries."""
    arms = ExperimentArm.objects.select_related("version").defer("version__content", "version__changelog")
    return experiments.prefetch_related(Prefetch("arms", queryset=arms))


def excluded_ids(experiment: Experiment) -> set[int]:
    return set(experiment.excluded_users.values_list("pk", flat=True))


def is_excluded(experiment: Experiment, user, excluded: set[int]) -> bool:
    if user is None or not user.is_authenticated:
        return True
    return (experiment.exclude_staff and user.is_staff) or user.pk in excluded


def assignment_of(experiment: Experiment, user, excluded: set[int] | None = None) -> Assignment:
    """The user's arm of an experiment whose arms are loaded (`with_arms`)."""
    arms = list(experiment.arms.all())
    excluded = excluded_ids(experiment) if excluded is None else excluded
    if is_excluded(experiment, user, excluded):
        return Assignment(experiment, arms[0], counted=False)
    return Assignment(experiment, arm_of_bucket(arms, bucket_of(experiment.pk, user.pk)), counted=True)


@dataclass(frozen=True)
class Served:
    """The version a user is served, and the experiment arm that chose it (None: the current version)."""

    version: SkillVersion
    assignment: Assignment | None = None


def assignments_for(skill_ids: list[str], user) -> dict[str, Assignment]:
    """The user's arm in each running experiment of these skills: 3 queries (experiments, arms, and
    whether the user is excluded from any of them), whatever the number of skills."""
    running = list(with_arms(Experiment.objects.running().filter(skill_id__in=skill_ids)))
    if not running:
        return {}
    excluded_from: set[int] = set()
    if user is not None and user.is_authenticated:
        through = Experiment.excluded_users.through.objects
        excluded_from = set(
            through.filter(experiment__in=running, user_id=user.pk).values_list("experiment_id", flat=True)
        )
    return {
        experiment.skill_id: assignment_of(experiment, user, {user.pk} if experiment.pk in excluded_from else set())
        for experiment in running
    }


def versions_served(skills: list[Skill], user) -> dict[str, Served]:
    """The version each skill serves the user: its running experiment's arm, else its current
    version (`current_versions` prefetched). The one choice of a served version: /available/,
    /content/, /bundle/ and so the pull client all ask it."""
    assignments = assignments_for([skill.skill_id for skill in skills], user)
    served = {}
    for skill in skills:
        assignment = assignments.get(skill.skill_id)
        if assignment is not None:
            served[skill.skill_id] = Served(assignment.arm.version, assignment)
        elif skill.current_versions:
            served[skill.skill_id] = Served(skill.current_versions[0])
    return served


def experiments_of(skill: Skill) -> QuerySet[Experiment]:
    """A skill's experiments, newest first, with arms and who decided: the skill page's history."""
    return with_arms(Experiment.objects.filter(skill=skill).select_related("decided_by", "promoted_arm"))


def running_experiment(skill: Skill) -> Experiment | None:
    return with_arms(Experiment.objects.filter(skill=skill, status=ExperimentStatus.RUNNING)).first()
