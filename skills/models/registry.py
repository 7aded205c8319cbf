"""The skill registry: skills, their versions, and per-user unlocks."""

from __future__ import annotations

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Exists, OuterRef, Q

SEMVER_RE = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$"
)
INVALID_SEMVER = "'%(value)s' is not a semantic version (MAJOR.MINOR.PATCH, e.g. 1.2.0)."


def validate_semver(value: str) -> None:
    if not SEMVER_RE.match(value or ""):
        raise ValidationError(INVALID_SEMVER, code="invalid_semver", params={"value": value})


def semver_key(value: str) -> tuple:
    """Sort key for semantic versions; a pre-release sorts before its release."""
    match = SEMVER_RE.match(value)
    if not match:
        return (-1, -1, -1, 0, value)
    major, minor, patch, pre, _build = match.groups()
    return (int(major), int(minor), int(patch), 0 if pre else 1, pre or "")


class Tier(models.TextChoices):
    FOUNDATIONAL = "foundational", "Foundational"
    STANDARD = "standard", "Standard"
    ADVANCED = "advanced", "Advanced"
    EXPERT = "expert", "Expert"
    COMPOSITE = "composite", "Composite"


class SkillQuerySet(models.QuerySet):
    def enabled(self) -> SkillQuerySet:
        return self.filter(enabled=True)

    def foundational(self) -> SkillQuerySet:
        return self.filter(tier=Tier.FOUNDATIONAL)

    def available_to(self, user) -> SkillQuerySet:
        """Skills the user may load: enabled, and foundational or unlocked for the user — the rule
        of `skills.services.is_skill_unlocked` as a query."""
        unlocked = SkillUnlock.objects.filter(user=user, skill=OuterRef("pk"), unlocked=True)
        return self.enabled().filter(Q(tier=Tier.FOUNDATIONAL) | Exists(unlocked))


class Skill(models.Model):
    skill_id = models.SlugField(max_length=100, primary_key=True)
    display_name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    enabled = models.BooleanField(default=True)
    tier = models.CharField(max_length=20, choices=Tier.choices, default=Tier.STANDARD)
    category = models.CharField(max_length=100, blank=True)
    trust_level = models.PositiveSmallIntegerField(
        default=3, help_text="1 (new, gradual rollout) to 5 (fully trusted)."
    )
    meta = models.JSONField(default=dict, blank=True, help_text="Triggers, elements, realms and other metadata.")
    sha256 = models.CharField(max_length=64, blank=True)
    source_path = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SkillQuerySet.as_manager()

    class Meta:
        ordering = ["skill_id"]
        indexes = [
            models.Index(fields=["tier"], name="skill_tier_idx"),
            models.Index(fields=["category"], name="skill_category_idx"),
            models.Index(fields=["skill_id"], condition=Q(enabled=True), name="skill_enabled_partial_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(trust_level__gte=1, trust_level__lte=5), name="skill_trust_level_1_5"),
            models.CheckConstraint(condition=Q(tier__in=Tier.values), name="skill_tier_valid"),
        ]
        # Telemetry from holders registers the skills and versions it names; from anyone else it is
        # held or kept apart for staff (skills.models.unregistered).
        permissions = [("register_skills", "Can register skills and versions by naming them in telemetry")]

    def __str__(self) -> str:
        return self.skill_id


class SkillVersion(models.Model):
    skill = models.ForeignKey(Skill, on_delete=models.CASCADE, related_name="versions")
    version = models.CharField(max_length=64, validators=[validate_semver])
    content = models.TextField(blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    bundle_sha256 = models.CharField(
        max_length=64, blank=True, help_text="Digest of SKILL.md and the version's files; empty when it has none."
    )
    is_current = models.BooleanField(default=False)
    current_since = models.DateTimeField(
        null=True, blank=True, help_text="When it last became current (publish or rollback)."
    )
    changelog = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    high_findings = models.PositiveIntegerField(
        default=0, help_text="High findings of the scan before deploy (skills/services/scan.py)."
    )
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    acknowledged_at = models.DateTimeField(
        null=True, blank=True, help_text="When staff acknowledged the high findings, letting it become current."
    )
    acknowledge_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["skill_id", "-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["skill", "version"], name="skillversion_unique_version"),
            # At most one current version a skill, enforced by the database.
            models.UniqueConstraint(fields=["skill"], condition=Q(is_current=True), name="skillversion_one_current"),
            # A version with a high finding becomes current only once acknowledged, whatever path writes it.
            models.CheckConstraint(
                condition=Q(is_current=False) | Q(high_findings=0) | Q(acknowledged_at__isnull=False),
                name="skillversion_held_until_acknowledged",
            ),
            models.CheckConstraint(
                condition=Q(acknowledged_at__isnull=True) | ~Q(acknowledge_reason=""),
                name="skillversion_acknowledged_with_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.skill_id}@{self.version}"

    @property
    def held(self) -> bool:
        """Held back from becoming current (or being served): high findings not yet acknowledged."""
        return self.high_findings > 0 and self.acknowledged_at is None


class SkillUnlockQuerySet(models.QuerySet):
    def registered(self) -> SkillUnlockQuerySet:
        """Unlocks whose skill is in the registry."""
        return self.filter(Exists(Skill.objects.filter(pk=OuterRef("skill_id"))))

    def pending(self) -> SkillUnlockQuerySet:
        """Unlocks granted ahead of their skill's registration: they take effect once it is registered."""
        return self.exclude(Exists(Skill.objects.filter(pk=OuterRef("skill_id"))))

    def active(self) -> SkillUnlockQuerySet:
        """Effective unlocks: granted, not revoked, and for a registered skill."""
        return self.registered().filter(unlocked=True)


class SkillUnlock(models.Model):
    """A user's unlock of a skill, which may be granted before the skill is registered (seed 000:
    unlocks are granted ahead of a sync, e.g. by a learner's roadmap milestone).

    `skill` is a foreign key without a database constraint (`db_constraint=False`) rather than a
    plain string column or a separate table of pending unlocks: the column holds any skill id, and
    an unlock whose id names no registered skill is *pending*. It takes effect the moment a skill
    with that id exists, whichever path creates it (the folder sync, telemetry or feedback
    registering an unknown skill, a deployed candidate, the admin): every read of an unlock joins
    the registry (`is_skill_unlocked`, `Skill.objects.available_to`, `/api/unlocks/`), so a
    pending row is never effective and nothing has to be copied on registration. Keeping the
    relation lets the ORM and the admin still join and filter by the skill; deleting a skill
    still deletes its unlocks (Django cascades, the database no longer does). What the database
    still enforces: one row per (user, skill), a real foreign key to the user, a non-empty id
    (the slug format is checked by `skill_unlock_grant`). On a pending row, `unlock.skill`
    raises Skill.DoesNotExist: read `unlock.skill_id`.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="skill_unlocks")
    # Indexed (the join from a skill to its unlocks, and finding pending rows by id).
    skill = models.ForeignKey(
        Skill,
        on_delete=models.CASCADE,
        related_name="unlocks",
        db_constraint=False,
        help_text="A registered skill, or the id of one not registered yet (a pending unlock).",
    )
    unlocked = models.BooleanField(default=True)
    unlocked_at = models.DateTimeField(null=True, blank=True)
    unlock_reason = models.CharField(max_length=500, blank=True)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = SkillUnlockQuerySet.as_manager()

    class Meta:
        ordering = ["user_id", "skill_id"]
        # Held by staff implicitly: a plan its holder posts may unlock agent skills on completion
        # (roadmaps/agent_skills.py); anyone else's plan may not.
        permissions = [("grant_unlock", "Can post plans whose milestones unlock agent skills")]
        constraints = [
            models.UniqueConstraint(fields=["user", "skill"], name="skillunlock_unique_user_skill"),
            models.CheckConstraint(condition=~Q(skill_id=""), name="skillunlock_skill_id_not_empty"),
        ]
        indexes = [models.Index(fields=["user"], condition=Q(unlocked=True), name="skillunlock_active_idx")]

    def __str__(self) -> str:
        state = "unlocked" if self.unlocked else "locked"
        return f"{self.skill_id} {state} for user {self.user_id}"
