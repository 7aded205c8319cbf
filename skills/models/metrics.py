"""Aggregates kept current by the ingest path, so no read scans the log."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from .registry import Skill, SkillVersion


class SkillMetrics(models.Model):
    """One row a skill: counters, duration statistics and derived rates.

    Folded from the log's queue of stored events (`skills.ingestion.fold`); reads say how
    fresh they are (`metrics_as_of`), and `rebuild_metrics` recomputes them from the log.
    Percentiles come from a mergeable relative-error sketch kept in
    `latency_sketch`. `effectiveness_score` (0–100) is defined where it is
    computed, in `skills.aggregates.effectiveness_score`.
    """

    skill = models.OneToOneField(Skill, on_delete=models.CASCADE, primary_key=True, related_name="metrics")
    total_invocations = models.PositiveIntegerField(default=0)
    completed_count = models.PositiveIntegerField(default=0)
    failed_count = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    abandoned_count = models.PositiveIntegerField(default=0)
    duration_count = models.PositiveIntegerField(default=0, help_text="Events that reported a latency.")
    duration_sum_ms = models.BigIntegerField(default=0)
    duration_min_ms = models.PositiveIntegerField(null=True, blank=True)
    duration_max_ms = models.PositiveIntegerField(null=True, blank=True)
    avg_duration_ms = models.FloatField(null=True, blank=True)
    p50_ms = models.FloatField(null=True, blank=True)
    p95_ms = models.FloatField(null=True, blank=True)
    p99_ms = models.FloatField(null=True, blank=True)
    latency_sketch = models.JSONField(default=dict, blank=True)
    workflow_paths = models.JSONField(default=dict, blank=True, help_text="{path: count}")
    error_types = models.JSONField(default=dict, blank=True, help_text="{error_type: count}")
    follow_up_actions = models.JSONField(default=dict, blank=True, help_text="{action: count}")
    tokens_used_sum = models.BigIntegerField(default=0)
    tokens_saved_sum = models.BigIntegerField(default=0)
    cost_usd_sum = models.DecimalField(max_digits=18, decimal_places=6, default=0)
    avg_token_savings = models.FloatField(null=True, blank=True)
    first_invoked = models.DateTimeField(null=True, blank=True)
    last_invoked = models.DateTimeField(null=True, blank=True)
    completion_rate = models.FloatField(null=True, blank=True, help_text="Percent of invocations that succeeded.")
    unique_users = models.PositiveIntegerField(default=0)
    rating_count = models.PositiveIntegerField(default=0)
    rating_sum = models.PositiveIntegerField(default=0)
    avg_rating = models.FloatField(null=True, blank=True)
    effectiveness_score = models.FloatField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "skill metrics"
        ordering = ["skill_id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(effectiveness_score__isnull=True)
                | Q(effectiveness_score__gte=0, effectiveness_score__lte=100),
                name="metrics_effectiveness_0_100",
            ),
            models.CheckConstraint(
                condition=Q(completion_rate__isnull=True) | Q(completion_rate__gte=0, completion_rate__lte=100),
                name="metrics_completion_rate_0_100",
            ),
        ]

    def __str__(self) -> str:
        return f"metrics of {self.skill_id}"


class SessionSkill(models.Model):
    """A skill's use within one client session (seed 001's junction table)."""

    session_id = models.CharField(max_length=255)
    # No index of its own: the unique (skill, session_id) index leads with it.
    skill = models.ForeignKey(Skill, on_delete=models.CASCADE, related_name="session_uses", db_index=False)
    invocation_count = models.PositiveIntegerField(default=0)
    success_count = models.PositiveIntegerField(default=0)
    first_invoked_at = models.DateTimeField()
    last_invoked_at = models.DateTimeField()
    total_duration_ms = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["skill_id", "session_id"]
        # One index serves both the uniqueness and the lookups by skill (seed 001 has two: its
        # UNIQUE (session_id, skill_name) and idx_session_skill_skill_name). Ingestion inserts a row
        # here for nearly every new (session, skill) pair, and each index costs every insert. It
        # indexes no column an upsert changes, so with the table's fillfactor (migration 0002)
        # upserts are HOT updates.
        constraints = [models.UniqueConstraint(fields=["skill", "session_id"], name="sessionskill_unique")]

    def __str__(self) -> str:
        return f"{self.skill_id} in session {self.session_id}"


class SkillUserUsage(models.Model):
    """Per (skill, user) roll-up: makes unique users exact and gives per-user views."""

    # The unique (skill, user) index serves lookups by skill.
    skill = models.ForeignKey(Skill, on_delete=models.CASCADE, related_name="user_usage", db_index=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="skill_usage")
    invocation_count = models.PositiveIntegerField(default=0)
    first_invoked_at = models.DateTimeField()
    last_invoked_at = models.DateTimeField()

    class Meta:
        ordering = ["skill_id", "user_id"]
        constraints = [models.UniqueConstraint(fields=["skill", "user"], name="skilluserusage_unique")]

    def __str__(self) -> str:
        return f"{self.skill_id} used by user {self.user_id}"


class SkillDailyUsage(models.Model):
    """Per (skill, day) roll-up: the dashboard's time series."""

    # The unique (skill, day) index serves lookups by skill.
    skill = models.ForeignKey(Skill, on_delete=models.CASCADE, related_name="daily_usage", db_index=False)
    day = models.DateField()
    total = models.PositiveIntegerField(default=0)
    success_count = models.PositiveIntegerField(default=0)
    failure_count = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    abandoned_count = models.PositiveIntegerField(default=0)
    duration_count = models.PositiveIntegerField(default=0)
    duration_sum_ms = models.BigIntegerField(default=0)
    latency_sketch = models.JSONField(default=dict, blank=True)
    error_types = models.JSONField(default=dict, blank=True)
    workflow_paths = models.JSONField(default=dict, blank=True)
    tokens_used_sum = models.BigIntegerField(default=0)
    tokens_saved_sum = models.BigIntegerField(default=0)
    cost_usd_sum = models.DecimalField(max_digits=18, decimal_places=6, default=0)

    class Meta:
        ordering = ["day", "skill_id"]
        verbose_name_plural = "skill daily usage"
        constraints = [models.UniqueConstraint(fields=["skill", "day"], name="skilldailyusage_unique")]
        indexes = [models.Index(fields=["day"], name="skilldailyusage_day_idx")]

    def __str__(self) -> str:
        return f"{self.skill_id} on {self.day}"


class SkillVersionUsage(models.Model):
    """Per (skill, version) roll-up: what version regressions are measured on."""

    skill_version = models.OneToOneField(SkillVersion, on_delete=models.CASCADE, related_name="usage")
    # The skill of the version, kept here so a skill's versions are one lookup.
    skill = models.ForeignKey(Skill, on_delete=models.CASCADE, related_name="version_usage")
    total = models.PositiveIntegerField(default=0)
    success_count = models.PositiveIntegerField(default=0)
    failure_count = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    abandoned_count = models.PositiveIntegerField(default=0)
    duration_count = models.PositiveIntegerField(default=0)
    duration_sum_ms = models.BigIntegerField(default=0)
    latency_sketch = models.JSONField(default=dict, blank=True)
    tokens_used_sum = models.BigIntegerField(default=0)
    tokens_saved_sum = models.BigIntegerField(default=0)
    cost_usd_sum = models.DecimalField(max_digits=18, decimal_places=6, default=0)
    # Sum of squared costs (exact: costs have 6 decimals): the cost's variance, for its test.
    cost_usd_sq_sum = models.DecimalField(max_digits=30, decimal_places=12, default=0)
    first_invoked_at = models.DateTimeField(null=True, blank=True)
    last_invoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["skill_id", "skill_version_id"]
        verbose_name_plural = "skill version usage"

    def __str__(self) -> str:
        return f"usage of version {self.skill_version_id} of {self.skill_id}"
