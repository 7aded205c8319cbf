"""One skill use as its signals arrive: the join of Claude Code's `skill_activated`, the Skill
`tool_result`, the hook's post and the transcript's line (skills/intake/join.py).

A use is mutable while its signals arrive; once complete (or once no signal came for
SKILL_USE_SETTLE_SECONDS) it is released into the append-only log as one usage event, whose
id derives from the use's keys, so a release is never stored twice.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Signal(models.TextChoices):
    ACTIVATION = "activation", "skill_activated (OpenTelemetry)"
    TOOL_RESULT = "tool_result", "Skill tool_result (OpenTelemetry)"
    HOOK = "hook", "PostToolUse hook"
    TRANSCRIPT = "transcript", "Transcript"


class SkillUseQuerySet(models.QuerySet):
    def unreleased(self) -> SkillUseQuerySet:
        return self.filter(released_at__isnull=True)


class SkillUse(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    session_id = models.CharField(max_length=255, blank=True)
    tool_use_id = models.CharField(
        max_length=255, blank=True, help_text="The Skill call's id; empty for a slash command."
    )
    prompt_id = models.CharField(max_length=255, blank=True)
    activation_sequence = models.BigIntegerField(null=True, blank=True)
    result_sequence = models.BigIntegerField(null=True, blank=True)
    skill_name = models.CharField(
        max_length=301, blank=True, help_text="As reported; empty while only a placeholder came."
    )
    plugin = models.CharField(max_length=200, blank=True)
    marketplace = models.CharField(max_length=200, blank=True)
    skill_source = models.CharField(max_length=50, blank=True)
    invocation_trigger = models.CharField(max_length=50, blank=True)
    outcome = models.CharField(max_length=20, blank=True, help_text="Empty until a result came.")
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    error_type = models.CharField(max_length=200, blank=True)
    tokens_used = models.PositiveIntegerField(default=0)
    project_path = models.CharField(max_length=500, blank=True)
    signals = models.JSONField(default=list, help_text="The kinds of signal that arrived, in order.")
    signal_keys = models.JSONField(default=list, help_text="Each signal's own key: a re-sent signal is recognised.")
    occurred_at = models.DateTimeField()
    updated_at = models.DateTimeField(default=timezone.now)
    released_at = models.DateTimeField(null=True, blank=True)
    counted_skill_id = models.CharField(
        max_length=100, blank=True, help_text="The registered skill its event counts for; empty while held or waiting."
    )
    event_id = models.UUIDField(help_text="The usage event it becomes (derived from its keys).")

    objects = SkillUseQuerySet.as_manager()

    class Meta:
        ordering = ["occurred_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "session_id", "tool_use_id"],
                condition=~Q(tool_use_id=""),
                name="skilluse_unique_tool_use",
            ),
        ]
        indexes = [
            models.Index(fields=["user", "session_id", "prompt_id"], name="skilluse_prompt_idx"),
            models.Index(fields=["updated_at"], condition=Q(released_at__isnull=True), name="skilluse_unreleased_idx"),
            models.Index(fields=["counted_skill_id", "occurred_at"], name="skilluse_counted_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.skill_name or 'unnamed skill'} in session {self.session_id}"
