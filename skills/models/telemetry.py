"""The append-only usage log and learner feedback."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual
from django.utils import timezone

from .registry import Skill, SkillVersion


class Outcome(models.TextChoices):
    SUCCESS = "success", "Success"
    FAILURE = "failure", "Failure"
    ERROR = "error", "Error"
    ABANDONED = "abandoned", "Abandoned"


class UsageEventQuerySet(models.QuerySet):
    def for_user(self, user) -> UsageEventQuerySet:
        return self.filter(user=user)


class UsageEvent(models.Model):
    """One skill invocation. Never updated, never deleted through the app.

    On PostgreSQL a trigger (migration 0002) refuses UPDATE and DELETE, so the
    log stays append-only whatever code runs against it. Event ids are unique per
    user, not globally: `UsageEventKey` (filled by a trigger) enforces it.
    """

    event_id = models.UUIDField(help_text="Client-chosen id, unique per user; makes retries idempotent.")
    # Hash of the posted payload: a retry with the same id must carry the same payload (else 409).
    payload_sha256 = models.CharField(max_length=64, blank=True, editable=False)
    # The log's hottest path is the insert: no index of its own where a composite one below
    # already leads with the column (usage_skill_time_idx, usage_user_time_idx).
    skill = models.ForeignKey(Skill, on_delete=models.PROTECT, related_name="usage_events", db_index=False)
    skill_version = models.ForeignKey(
        SkillVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="usage_events"
    )
    # PROTECT: a user with telemetry is deactivated, not deleted, as the log is immutable.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="usage_events",
        db_index=False,
    )
    session_id = models.CharField(max_length=255, blank=True)
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    completed = models.BooleanField(help_text="Derived from outcome: true exactly when it is success.")
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    error_type = models.CharField(max_length=200, blank=True)
    workflow_path = models.CharField(max_length=500, blank=True)
    follow_up_actions = models.JSONField(default=list, blank=True)
    input_hash = models.CharField(max_length=128, blank=True)
    tokens_used = models.PositiveIntegerField(default=0)
    tokens_saved = models.IntegerField(default=0)
    cost_usd = models.DecimalField(max_digits=14, decimal_places=6, default=0)
    state_snapshot = models.JSONField(default=dict, blank=True)
    artifacts = models.JSONField(default=dict, blank=True)
    project_path = models.CharField(max_length=500, blank=True)
    schema_version = models.PositiveSmallIntegerField(default=1)
    # Who ran which skill, as the agent said: the name it reported when it counts for another
    # skill (a plugin's skill mapped by staff), a version the registry does not hold (the event
    # then has no skill_version), and Claude Code's plugin, marketplace, source and trigger.
    reported_skill = models.CharField(max_length=301, blank=True)
    reported_version = models.CharField(max_length=64, blank=True)
    plugin = models.CharField(max_length=200, blank=True)
    marketplace = models.CharField(max_length=200, blank=True)
    skill_source = models.CharField(max_length=50, blank=True)
    invocation_trigger = models.CharField(max_length=50, blank=True)
    occurred_at = models.DateTimeField(default=timezone.now)
    received_at = models.DateTimeField(default=timezone.now)

    objects = UsageEventQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["skill", "-occurred_at"], name="usage_skill_time_idx"),
            models.Index(fields=["user", "-occurred_at"], name="usage_user_time_idx"),
            models.Index(fields=["session_id", "-occurred_at"], name="usage_session_time_idx"),
            models.Index(fields=["-occurred_at"], name="usage_time_idx"),
            models.Index(fields=["received_at"], name="usage_received_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(outcome__in=Outcome.values), name="usage_outcome_valid"),
            models.CheckConstraint(
                condition=Q(completed=True, outcome=Outcome.SUCCESS)
                | (Q(completed=False) & ~Q(outcome=Outcome.SUCCESS)),
                name="usage_completed_matches_outcome",
            ),
            models.CheckConstraint(condition=Q(cost_usd__gte=0), name="usage_cost_non_negative"),
            models.CheckConstraint(condition=Q(schema_version__gte=1), name="usage_schema_version_positive"),
        ]
        permissions = [("ingest_for_any_user", "Can post usage events attributed to any user")]

    def __str__(self) -> str:
        return f"{self.skill_id} {self.outcome} at {self.occurred_at:%Y-%m-%d %H:%M}"


# A note is a learner's words about one use (issue 24: 9 MB notes were stored and served).
FEEDBACK_NOTES_MAX_LENGTH = 5_000


class Feedback(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="skill_feedback"
    )
    skill = models.ForeignKey(Skill, on_delete=models.CASCADE, related_name="feedback")
    event = models.ForeignKey(UsageEvent, null=True, blank=True, on_delete=models.SET_NULL, related_name="feedback")
    rating = models.PositiveSmallIntegerField(null=True, blank=True)
    tags = models.JSONField(default=list, blank=True)
    notes = models.TextField(blank=True, validators=[MaxLengthValidator(FEEDBACK_NOTES_MAX_LENGTH)])
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "feedback"
        indexes = [
            models.Index(fields=["skill", "-created_at"], name="feedback_skill_time_idx"),
            models.Index(fields=["user", "-created_at"], name="feedback_user_time_idx"),
            models.Index(fields=["rating"], name="feedback_rating_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5), name="feedback_rating_1_5"
            ),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("notes"), FEEDBACK_NOTES_MAX_LENGTH), name="feedback_notes_length"
            ),
        ]

    def __str__(self) -> str:
        return f"feedback on {self.skill_id} ({self.rating or 'unrated'})"


class UsageEventKey(models.Model):
    """Every event id ever received, per user, with its payload hash: written by a database
    trigger on the log (migration 0002), read by ingestion to recognise retries.

    Ids are scoped to the event's user (`user_key`: the user's id, 0 for events with no user),
    as payment APIs scope idempotency keys per account: the same id from two users is two
    events, and nobody learns whether another user used an id. On PostgreSQL the log is
    partitioned by month and cannot hold this uniqueness itself; this table also outlives
    archiving, so the retry of an archived event is still recognised.
    """

    pk = models.CompositePrimaryKey("user_key", "event_id")
    user_key = models.BigIntegerField()
    event_id = models.UUIDField()
    payload_sha256 = models.CharField(max_length=64, blank=True)
    occurred_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.event_id} of user {self.user_key}"


class UsageEventPending(models.Model):
    """An event stored in the log but not yet folded into the roll-ups (metrics, daily, session
    and user rows): a row a stored event, written by the log's trigger `skills_usageevent_pending`,
    deleted by the fold (`skills/ingestion/fold.py`, which says who folds and when) in the
    transaction that folds the event.

    Keeping roll-ups out of the insert path lets any number of clients post events for one skill
    at once; the roll-ups say how fresh they are (`metrics_as_of`: the oldest pending receipt).
    """

    id = models.BigIntegerField(primary_key=True, help_text="The event's id in the log.")
    received_at = models.DateTimeField()

    class Meta:
        verbose_name = "usage event pending roll-up"

    def __str__(self) -> str:
        return f"event {self.id}, received {self.received_at:%Y-%m-%d %H:%M:%S}"
