"""Version regressions: a skill's current version measurably worse than the one before it."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from .registry import Skill, SkillVersion


class RegressionQuerySet(models.QuerySet):
    def active(self) -> RegressionQuerySet:
        return self.filter(cleared_at__isnull=True)


class VersionRegression(models.Model):
    """A mark on a skill, set by `regressions_detect` and cleared when the version recovers, is
    rolled back or is replaced. Cleared marks are kept as the skill's history."""

    skill = models.ForeignKey(Skill, on_delete=models.CASCADE, related_name="regressions")
    baseline_version = models.ForeignKey(SkillVersion, on_delete=models.CASCADE, related_name="+")
    current_version = models.ForeignKey(SkillVersion, on_delete=models.CASCADE, related_name="+")
    measures = models.JSONField(default=dict, help_text="Each measure of both versions with its interval.")
    detected_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    cleared_at = models.DateTimeField(null=True, blank=True)
    cleared_reason = models.CharField(max_length=200, blank=True)

    objects = RegressionQuerySet.as_manager()

    class Meta:
        ordering = ["-detected_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["skill"], condition=Q(cleared_at__isnull=True), name="versionregression_one_active"
            )
        ]

    def __str__(self) -> str:
        return f"{self.skill_id}: {self.current_version.version} worse than {self.baseline_version.version}"
