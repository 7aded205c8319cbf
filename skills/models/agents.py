"""What agents need beyond the registry: the extra files of a skill's version (its bundle) and
the model requests of their sessions (tokens and cost, taken in from OpenTelemetry)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from .registry import SkillVersion


class SkillVersionFile(models.Model):
    """A file of a skill's folder besides SKILL.md (scripts/, references/, assets/ in the Agent
    Skills layout), kept per version so a rolled-back version serves its own files."""

    version = models.ForeignKey(SkillVersion, on_delete=models.CASCADE, related_name="files")
    path = models.CharField(max_length=500, help_text="Relative to the skill's folder, with '/' separators.")
    content = models.BinaryField()
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    executable = models.BooleanField(
        default=False, help_text="As found in the skill's folder; the bundle restores it (mode 755, else 644)."
    )

    class Meta:
        ordering = ["version_id", "path"]
        constraints = [models.UniqueConstraint(fields=["version", "path"], name="skillversionfile_unique_path")]

    def __str__(self) -> str:
        return f"{self.version} {self.path}"


class AgentApiRequest(models.Model):
    """One model request of an agent's session: the tokens and cost that make a session's cost
    visible (Claude Code's `api_request` event), or a request that failed (`api_error`: its error,
    HTTP status and attempt; it cost nothing). `record_key` is derived from the record, so an
    exporter's retry is stored once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="agent_requests")
    record_key = models.UUIDField()
    session_id = models.CharField(max_length=255, blank=True)
    model = models.CharField(max_length=200, blank=True)
    input_tokens = models.PositiveIntegerField(default=0)
    output_tokens = models.PositiveIntegerField(default=0)
    cache_read_tokens = models.PositiveIntegerField(default=0)
    cache_creation_tokens = models.PositiveIntegerField(default=0)
    cost_usd = models.DecimalField(max_digits=14, decimal_places=6, default=0)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    occurred_at = models.DateTimeField()
    # Which skill uses it counts for (skills/selectors/skill_costs.py): its prompt, its place in the
    # session, and the skill Claude Code says was active for it (`skill.name`, with its plugin).
    prompt_id = models.CharField(max_length=255, blank=True)
    sequence = models.BigIntegerField(null=True, blank=True)
    skill_name = models.CharField(max_length=301, blank=True)
    # A failed request (`api_error`): what the API answered. "" for a request that succeeded.
    error = models.CharField(max_length=500, blank=True)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True, help_text="The HTTP status, if any.")
    attempt = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Claude Code's retry count.")

    class Meta:
        ordering = ["-occurred_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "record_key"], name="agentapirequest_unique_record"),
            models.CheckConstraint(condition=models.Q(cost_usd__gte=0), name="agentapirequest_cost_non_negative"),
            models.CheckConstraint(
                condition=models.Q(error="") | models.Q(cost_usd=0), name="agentapirequest_failed_costs_nothing"
            ),
        ]
        indexes = [
            models.Index(fields=["user", "session_id"], name="agentapirequest_session_idx"),
            models.Index(fields=["user", "session_id", "prompt_id"], name="agentapirequest_prompt_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.model} request in session {self.session_id}"
