"""Experiments: a skill's new version tried on a share of its users before everyone gets it.

An experiment has arms (position 0 is the control, the version current when it was created;
the others are treatments), each a version and a share of the users in basis points (the shares
sum to 10,000, checked by the service). Users are assigned by a hash of (experiment, user), so the
assignment needs no row and never changes (`skills.services.experiments.arm_for`). Snapshots are
the results as computed at a moment: the watch page's chart is drawn from them, and the guardrail
check runs when one is taken.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from .registry import Skill, SkillVersion

SHARE_TOTAL = 10_000  # basis points: 10 % is 1,000


class ExperimentStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    RUNNING = "running", "Running"
    PROMOTED = "promoted", "Promoted"
    STOPPED = "stopped", "Stopped"
    BREACHED = "breached", "Stopped by a guardrail"


# The legal transitions, written once: a draft is started or dropped (stopped); a running
# experiment ends by a decision (promote, stop) or by a guardrail. An ended one is history.
EXPERIMENT_TRANSITIONS: dict[str, frozenset[str]] = {
    ExperimentStatus.DRAFT: frozenset({ExperimentStatus.RUNNING, ExperimentStatus.STOPPED}),
    ExperimentStatus.RUNNING: frozenset(
        {ExperimentStatus.PROMOTED, ExperimentStatus.STOPPED, ExperimentStatus.BREACHED}
    ),
    ExperimentStatus.PROMOTED: frozenset(),
    ExperimentStatus.STOPPED: frozenset(),
    ExperimentStatus.BREACHED: frozenset(),
}
ENDED = (ExperimentStatus.PROMOTED, ExperimentStatus.STOPPED, ExperimentStatus.BREACHED)


class Metric(models.TextChoices):
    """What an arm is judged on, per use. Success is better higher; the others lower."""

    SUCCESS_RATE = "success_rate", "Success rate"
    LATENCY_P95 = "latency_p95", "Latency p95"
    TOKENS = "tokens", "Tokens per use"
    COST = "cost", "Cost per use"


class ExperimentQuerySet(models.QuerySet):
    def running(self) -> ExperimentQuerySet:
        return self.filter(status=ExperimentStatus.RUNNING)

    def breached_unseen(self) -> ExperimentQuerySet:
        """Stopped by a guardrail and not yet acknowledged by staff: the admin banner's."""
        return self.filter(status=ExperimentStatus.BREACHED, breach_acknowledged_at__isnull=True)


class Experiment(models.Model):
    skill = models.ForeignKey(Skill, on_delete=models.CASCADE, related_name="experiments")
    name = models.CharField(max_length=200)
    status = models.CharField(max_length=20, choices=ExperimentStatus.choices, default=ExperimentStatus.DRAFT)
    primary_metric = models.CharField(max_length=20, choices=Metric.choices, default=Metric.SUCCESS_RATE)
    min_effect = models.FloatField(help_text="The smallest change worth detecting, as a fraction of control's value.")
    alpha = models.FloatField(default=0.05, help_text="False-positive rate of the verdict (all treatments together).")
    power = models.FloatField(default=0.8, help_text="Chance of detecting a change of min_effect.")
    baseline = models.FloatField(help_text="Control's value of the primary metric the plan assumed.")
    baseline_sd = models.FloatField(default=0, help_text="Its standard deviation per use (0 for success rate).")
    planned_uses = models.PositiveIntegerField(help_text="Uses per arm before a verdict.")
    exclude_staff = models.BooleanField(default=True, help_text="Staff always get control and are not counted.")
    excluded_users = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decision = models.JSONField(default=dict, blank=True, help_text="What ended it: who, why, the figures then.")
    promoted_arm = models.ForeignKey(
        "ExperimentArm", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    breach_acknowledged_at = models.DateTimeField(null=True, blank=True)

    objects = ExperimentQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # One running experiment a skill: two would fight over who is served what.
            models.UniqueConstraint(
                fields=["skill"], condition=Q(status=ExperimentStatus.RUNNING), name="experiment_one_running"
            ),
            models.CheckConstraint(condition=Q(status__in=ExperimentStatus.values), name="experiment_status_valid"),
            models.CheckConstraint(condition=Q(primary_metric__in=Metric.values), name="experiment_metric_valid"),
            models.CheckConstraint(condition=Q(alpha__gt=0, alpha__lt=0.5), name="experiment_alpha_range"),
            models.CheckConstraint(condition=Q(power__gt=0.5, power__lt=1), name="experiment_power_range"),
            models.CheckConstraint(condition=Q(min_effect__gt=0), name="experiment_min_effect_positive"),
            models.CheckConstraint(condition=Q(planned_uses__gt=0), name="experiment_planned_positive"),
            models.CheckConstraint(
                # A draft may be dropped (stopped) without ever starting.
                condition=Q(status__in=[ExperimentStatus.DRAFT, ExperimentStatus.STOPPED])
                | Q(started_at__isnull=False),
                name="experiment_started_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.skill_id}: {self.name}"


class ExperimentArm(models.Model):
    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="arms")
    position = models.PositiveSmallIntegerField(help_text="0 is the control.")
    version = models.ForeignKey(SkillVersion, on_delete=models.PROTECT, related_name="experiment_arms")
    share = models.PositiveIntegerField(help_text="Basis points of the users (10,000 = everyone).")

    class Meta:
        ordering = ["experiment_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["experiment", "position"], name="experimentarm_unique_position"),
            models.UniqueConstraint(fields=["experiment", "version"], name="experimentarm_unique_version"),
            models.CheckConstraint(condition=Q(share__gte=1, share__lte=SHARE_TOTAL), name="experimentarm_share_range"),
        ]

    def __str__(self) -> str:
        return f"{self.label} ({self.version.version}, {self.share / 100:g} %)"

    @property
    def is_control(self) -> bool:
        return self.position == 0

    @property
    def label(self) -> str:
        return "control" if self.is_control else f"treatment {self.position}"


class ExperimentGuardrail(models.Model):
    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="guardrails")
    metric = models.CharField(max_length=20, choices=Metric.choices)
    worst_change = models.FloatField(help_text="The worst change allowed, a fraction of control's value (0.2 = 20 %).")

    class Meta:
        ordering = ["experiment_id", "metric"]
        constraints = [
            models.UniqueConstraint(fields=["experiment", "metric"], name="experimentguardrail_unique_metric"),
            models.CheckConstraint(condition=Q(metric__in=Metric.values), name="experimentguardrail_metric_valid"),
            models.CheckConstraint(condition=Q(worst_change__gt=0), name="experimentguardrail_change_positive"),
        ]

    def __str__(self) -> str:
        return f"{Metric(self.metric).label} no worse than {self.worst_change:.0%}"


class ExperimentSnapshot(models.Model):
    """The results at one moment (`skills.selectors.experiments.experiment_results` as a dict)."""

    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="snapshots")
    taken_at = models.DateTimeField()
    results = models.JSONField()

    class Meta:
        ordering = ["experiment_id", "taken_at", "id"]
        indexes = [models.Index(fields=["experiment", "taken_at"], name="experimentsnapshot_time_idx")]

    def __str__(self) -> str:
        return f"{self.experiment} at {self.taken_at:%Y-%m-%d %H:%M}"
