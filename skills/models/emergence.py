"""Emergence candidates: skill sets that recur together, proposed for review."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Count, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce

from .registry import Skill
from .telemetry import UsageEvent


class CandidateStatus(models.TextChoices):
    MONITORING = "monitoring", "Monitoring"
    REVIEW = "review", "In review"
    APPROVED = "approved", "Approved"
    DEPLOYED = "deployed", "Deployed"
    REJECTED = "rejected", "Rejected"


# The legal transitions, written once. Deployed and rejected are final.
CANDIDATE_TRANSITIONS: dict[str, frozenset[str]] = {
    CandidateStatus.MONITORING: frozenset({CandidateStatus.REVIEW, CandidateStatus.APPROVED, CandidateStatus.REJECTED}),
    CandidateStatus.REVIEW: frozenset({CandidateStatus.APPROVED, CandidateStatus.REJECTED}),
    CandidateStatus.APPROVED: frozenset({CandidateStatus.DEPLOYED, CandidateStatus.REJECTED}),
    CandidateStatus.DEPLOYED: frozenset(),
    CandidateStatus.REJECTED: frozenset(),
}


class EmergenceCandidateQuerySet(models.QuerySet):
    def with_distinct_users(self) -> EmergenceCandidateQuerySet:
        """Annotates `distinct_users`: the users behind the events of the candidate's sessions.

        A subquery a row, through the sessions' index on the log: PostgreSQL evaluates it only for
        the rows a page shows (after its sort and limit)."""
        sessions = MiningSession.objects.filter(signature_hash=OuterRef(OuterRef("signature_hash"))).values(
            "session_id"
        )
        users = (
            UsageEvent.objects.filter(session_id__in=sessions, user__isnull=False)
            .order_by()
            .values(group=Value(1))
            .annotate(n=Count("user_id", distinct=True))
            .values("n")
        )
        return self.annotate(distinct_users=Coalesce(Subquery(users), 0))


class EmergenceCandidate(models.Model):
    signature_hash = models.CharField(max_length=64, unique=True)
    skills = models.JSONField(default=list, help_text="The co-occurring skill ids, ordered.")
    tier = models.CharField(max_length=50, blank=True)
    element = models.CharField(max_length=100, blank=True)
    realm = models.CharField(max_length=100, blank=True)
    support_count = models.PositiveIntegerField(default=0)
    avg_success_rate = models.FloatField(default=0)
    field_coherence = models.FloatField(default=0)
    status = models.CharField(max_length=20, choices=CandidateStatus.choices, default=CandidateStatus.MONITORING)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_notes = models.TextField(blank=True)
    deployed_skill = models.ForeignKey(
        Skill, null=True, blank=True, on_delete=models.SET_NULL, related_name="source_candidates"
    )
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()

    objects = EmergenceCandidateQuerySet.as_manager()

    class Meta:
        ordering = ["-support_count", "id"]
        indexes = [
            models.Index(fields=["status", "-support_count"], name="candidate_status_support_idx"),
            models.Index(fields=["-support_count"], name="candidate_support_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=CandidateStatus.values), name="candidate_status_valid"),
            models.CheckConstraint(
                condition=Q(avg_success_rate__gte=0, avg_success_rate__lte=1), name="candidate_success_rate_0_1"
            ),
            models.CheckConstraint(
                condition=Q(field_coherence__gte=0, field_coherence__lte=1), name="candidate_coherence_0_1"
            ),
        ]

    def __str__(self) -> str:
        return " + ".join(self.skills) or self.signature_hash[:12]


class CandidateReview(models.Model):
    """One status change of a candidate: its review history."""

    candidate = models.ForeignKey(EmergenceCandidate, on_delete=models.CASCADE, related_name="reviews")
    from_status = models.CharField(max_length=20, choices=CandidateStatus.choices)
    to_status = models.CharField(max_length=20, choices=CandidateStatus.choices)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["candidate_id", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status} → {self.to_status}"


class MiningSession(models.Model):
    """One session in one context (tier, element, realm), as the miner last saw it.

    Keeping it lets a run re-mine only the sessions with new events and still give
    the same candidates as a full re-mine (see skills.services.emergence).
    """

    session_id = models.CharField(max_length=255)
    tier = models.CharField(max_length=50, blank=True)
    element = models.CharField(max_length=100, blank=True)
    realm = models.CharField(max_length=100, blank=True)
    skills = models.JSONField(default=list, help_text="Distinct successful skills, sorted.")
    skill_count = models.PositiveIntegerField(default=0, help_text="len(skills): lets SQL skip sets too small to mine.")
    set_hash = models.CharField(max_length=64, help_text="Hash of the skill set alone.")
    signature_hash = models.CharField(max_length=64, help_text="Hash of the skill set and the context.")
    success_events = models.PositiveIntegerField(default=0)
    total_events = models.PositiveIntegerField(default=0)
    last_seen = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session_id", "tier", "element", "realm"], name="miningsession_unique")
        ]
        indexes = [
            models.Index(fields=["signature_hash"], name="miningsession_signature_idx"),
            models.Index(fields=["set_hash"], name="miningsession_set_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.session_id} ({self.tier}/{self.element}/{self.realm})"


class MiningRun(models.Model):
    """A mining run; the latest one's watermark is where the next incremental run starts."""

    full = models.BooleanField(default=False)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    watermark = models.DateTimeField(null=True, blank=True, help_text="Latest received_at this run covered.")
    sessions_mined = models.PositiveIntegerField(default=0)
    candidates_touched = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{'full' if self.full else 'incremental'} run at {self.started_at:%Y-%m-%d %H:%M}"
