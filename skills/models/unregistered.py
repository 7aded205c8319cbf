"""Skill names and versions agents reported that the registry does not hold: one list for staff.

Only operators write the registry (DESIGN, "Who may write shared state"). An event from a user
without `skills.register_skills` (or `skills.ingest_for_any_user`) that names a skill the
registry does not know is held here, as reported, until staff register the name or map it to
a registered skill; the held events then enter the log. A plugin's skill (`plugin:name`) is
its own identity: it is never merged into a registered skill of the same bare name, only
mapped to one by staff (here or with the SKILL_NAME_MAP setting). A version the registry does
not know is not held: the event counts for its skill, attributed to no version, with the
version kept on the event (`UsageEvent.reported_version`) and counted here.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from .registry import Skill


class UnregisteredStatus(models.TextChoices):
    PENDING = "pending", "Pending review"
    MAPPED = "mapped", "Mapped to a registered skill"
    REGISTERED = "registered", "Registered"
    DISMISSED = "dismissed", "Dismissed"


class UnregisteredSkillQuerySet(models.QuerySet):
    def pending(self) -> UnregisteredSkillQuerySet:
        return self.filter(status=UnregisteredStatus.PENDING)

    def mapped(self) -> UnregisteredSkillQuerySet:
        return self.filter(status=UnregisteredStatus.MAPPED, version="")


class UnregisteredSkill(models.Model):
    name = models.CharField(
        max_length=301, help_text="The skill as reported: its id, or plugin:id for a plugin's skill."
    )
    version = models.CharField(
        max_length=64,
        blank=True,
        help_text="A version of a registered skill the registry does not hold; empty for a skill.",
    )
    plugin = models.CharField(max_length=200, blank=True)
    marketplace = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=20, choices=UnregisteredStatus.choices, default=UnregisteredStatus.PENDING)
    mapped_to = models.ForeignKey(
        Skill,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="mapped_names",
        help_text="The registered skill this name counts for.",
    )
    uses = models.PositiveBigIntegerField(default=0, help_text="Events that named it.")
    first_seen = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)

    objects = UnregisteredSkillQuerySet.as_manager()

    class Meta:
        ordering = ["status", "-last_seen", "name"]
        verbose_name = "unregistered skill or version"
        verbose_name_plural = "unregistered skills and versions"
        constraints = [
            models.UniqueConstraint(fields=["name", "version"], name="unregistered_unique_name_version"),
            models.CheckConstraint(condition=Q(status__in=UnregisteredStatus.values), name="unregistered_status_valid"),
            models.CheckConstraint(
                condition=Q(status=UnregisteredStatus.MAPPED, mapped_to__isnull=False)
                | (~Q(status=UnregisteredStatus.MAPPED) & Q(mapped_to__isnull=True)),
                name="unregistered_mapped_has_target",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}@{self.version}" if self.version else self.name


class HeldUsageEvent(models.Model):
    """A valid event naming an unregistered skill, kept as posted until staff register or map the
    name (then it enters the log, with its id, time and payload hash, and this row goes)."""

    unregistered = models.ForeignKey(UnregisteredSkill, on_delete=models.PROTECT, related_name="held_events")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    user_key = models.BigIntegerField(help_text="The user's id, 0 for none: event ids are unique per user.")
    event_id = models.UUIDField()
    payload = models.JSONField(help_text="The event as it was posted and validated.")
    payload_sha256 = models.CharField(max_length=64)
    occurred_at = models.DateTimeField()
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["received_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["user_key", "event_id"], name="held_event_unique_per_user"),
        ]

    def __str__(self) -> str:
        return f"{self.event_id} held for {self.unregistered}"
