"""Aggregates kept current by the ingest path, so no read scans the log."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from .registry import Skill, SkillVersion
from .rollups import DAILY, METRICS, TEAM_DAILY, VERSION, rollup_columns


class SkillMetrics(rollup_columns(METRICS, "SkillMetricsColumns")):
    """One row a skill: counters, duration statistics and derived rates (declared in `rollups.py`).

    Folded from the log's queue of stored events (`skills.ingestion.fold`); reads say how
    fresh they are (`metrics_as_of`), and `rebuild_metrics` recomputes them from the log.
    Percentiles come from a mergeable relative-error sketch kept in
    `latency_sketch`. `effectiveness_score` (0–100) is defined where it is
    declared, in `skills.models.rollups.effectiveness_score`.
    """

    skill = models.OneToOneField(Skill, on_delete=models.CASCADE, primary_key=True, related_name="metrics")
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


class SkillDailyUsage(rollup_columns(DAILY, "SkillDailyUsageColumns")):
    """Per (skill, day) roll-up: the dashboard's time series (its columns declared in `rollups.py`)."""

    # The unique (skill, day) index serves lookups by skill.
    skill = models.ForeignKey(Skill, on_delete=models.CASCADE, related_name="daily_usage", db_index=False)
    day = models.DateField()

    class Meta:
        ordering = ["day", "skill_id"]
        verbose_name_plural = "skill daily usage"
        constraints = [models.UniqueConstraint(fields=["skill", "day"], name="skilldailyusage_unique")]
        indexes = [models.Index(fields=["day"], name="skilldailyusage_day_idx")]

    def __str__(self) -> str:
        return f"{self.skill_id} on {self.day}"


class TeamDailyUsage(rollup_columns(TEAM_DAILY, "TeamDailyUsageColumns")):
    """Per day roll-up of every skill's events: the dashboard's figures across skills, one row a day
    instead of one a skill and day (its columns are SkillDailyUsage's, declared in `rollups.py`)."""

    day = models.DateField(unique=True)

    class Meta:
        ordering = ["day"]
        verbose_name_plural = "team daily usage"

    def __str__(self) -> str:
        return f"every skill on {self.day}"


class SkillVersionUsage(rollup_columns(VERSION, "SkillVersionUsageColumns")):
    """Per (skill, version) roll-up: what version regressions are measured on (its columns declared
    in `rollups.py`)."""

    skill_version = models.OneToOneField(SkillVersion, on_delete=models.CASCADE, related_name="usage")
    # The skill of the version, kept here so a skill's versions are one lookup.
    skill = models.ForeignKey(Skill, on_delete=models.CASCADE, related_name="version_usage")

    class Meta:
        ordering = ["skill_id", "skill_version_id"]
        verbose_name_plural = "skill version usage"

    def __str__(self) -> str:
        return f"usage of version {self.skill_version_id} of {self.skill_id}"
