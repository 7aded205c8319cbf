"""What the scan before deploy found in a version's files (skills/services/scan.py)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from .registry import SkillVersion


class Severity(models.TextChoices):
    """A high finding holds its version back from becoming current until staff acknowledge it."""

    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


class VersionFinding(models.Model):
    """One finding: the file and line, the rule that fired, and the tool that owns the rule."""

    version = models.ForeignKey(SkillVersion, on_delete=models.CASCADE, related_name="findings")
    path = models.CharField(max_length=500, help_text="SKILL.md or a file of the version, relative to its folder.")
    line = models.PositiveIntegerField(help_text="1-based.")
    rule = models.CharField(max_length=100, help_text="skillsite's rule name, or bandit's test id (B602…).")
    tool = models.CharField(max_length=20, help_text="skillsite or bandit.")
    severity = models.CharField(max_length=10, choices=Severity.choices)
    message = models.CharField(max_length=500)
    excerpt = models.CharField(max_length=200, blank=True, help_text="The line, cut to 200 characters.")

    class Meta:
        ordering = ["version_id", "path", "line", "rule"]
        constraints = [
            models.CheckConstraint(condition=Q(severity__in=Severity.values), name="versionfinding_severity_valid"),
            models.CheckConstraint(condition=Q(line__gte=1), name="versionfinding_line_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.version} {self.path}:{self.line} {self.rule} ({self.severity})"
