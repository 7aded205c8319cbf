"""Emergence candidates: the evidence a reviewer weighs, and the co-occurring skill sets mined."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import (
    Count,
    Max,
    OuterRef,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import TruncWeek

from skills.models import (
    EmergenceCandidate,
    MiningSession,
    SessionSkill,
    SkillMetrics,
    UsageEvent,
)

# --- Emergence candidates: the evidence a reviewer weighs -------------------------------------------------


def candidate_lifts(candidates: Sequence[EmergenceCandidate]) -> dict[int, float | None]:
    """Lift of each candidate's skill set: how many times more often the set occurs together
    than it would if its skills were used independently of each other.

        lift = support / (N × Π (nᵢ / N))

    N is the number of sessions (SessionSkill's distinct session ids) and nᵢ the sessions in which
    member skill i succeeded at least once (mining counts only successful skills), so the
    denominator is the support independence predicts. Support is the candidate's support_count:
    sessions whose successful set is exactly the candidate's, in its context — a subset of the
    sessions holding the set, so the lift shown errs low. 1 means no association; two popular
    skills that merely co-occur stay near 1. None when a member never succeeded in a session.

    Two queries, whatever the number of sessions: N, and nᵢ for every member on the page.
    """
    members = {skill for candidate in candidates for skill in candidate.skills}
    if not members:
        return {candidate.pk: None for candidate in candidates}
    sessions = SessionSkill.objects.order_by()
    total = sessions.values("session_id").distinct().count()
    per_skill = dict(
        sessions.filter(skill_id__in=members, success_count__gt=0)
        .values("skill_id")
        .annotate(n=Count("id"))
        .values_list("skill_id", "n")
    )
    lifts = {}
    for candidate in candidates:
        expected = float(total)
        for skill in candidate.skills:
            expected *= per_skill.get(skill, 0) / total if total else 0
        lifts[candidate.pk] = round(candidate.support_count / expected, 2) if expected else None
    return lifts


@dataclass
class MemberMetrics:
    skill_id: str
    uses: int
    success_rate: float | None  # percent
    p95_ms: float | None
    cost_usd: Decimal
    cost_per_use: Decimal | None


@dataclass
class SessionTrace:
    session_id: str
    users: list[str]
    started: datetime
    ended: datetime
    steps: list[tuple[str, str]]  # (skill_id, outcome) in the order they occurred
    more: int  # steps left out


@dataclass
class CandidateEvidence:
    members: list[MemberMetrics]
    weeks: list[tuple[date, int]]  # (Monday, sessions whose last event fell in that week)
    sessions: list[SessionTrace]


RECENT_SESSIONS = 10
STEPS_SHOWN = 12
WEEKS_SHOWN = 26


def candidate_evidence(candidate: EmergenceCandidate) -> CandidateEvidence:
    """Three queries, whatever the number of events and sessions: the members' metrics rows, the
    candidate's sessions counted per week, the events of its most recent sessions."""
    return CandidateEvidence(
        members=_member_metrics(candidate.skills),
        weeks=_weekly_support(candidate.signature_hash),
        sessions=_recent_sessions(candidate.signature_hash),
    )


MEMBER_COLUMNS = ["skill_id", "total_invocations", "completion_rate", "p95_ms", "cost_usd_sum"]


def _member_metrics(skills: list[str]) -> list[MemberMetrics]:
    rows = {m.skill_id: m for m in SkillMetrics.objects.filter(skill_id__in=skills).only(*MEMBER_COLUMNS)}
    members = []
    for skill in skills:
        metrics = rows.get(skill)
        uses = metrics.total_invocations if metrics else 0
        cost = metrics.cost_usd_sum if metrics else Decimal(0)
        members.append(
            MemberMetrics(
                skill_id=skill,
                uses=uses,
                success_rate=metrics.completion_rate if metrics else None,
                p95_ms=metrics.p95_ms if metrics else None,
                cost_usd=cost,
                cost_per_use=cost / uses if uses else None,
            )
        )
    return members


def _weekly_support(signature_hash: str) -> list[tuple[date, int]]:
    """Sessions with the candidate's set per week (of each session's last event), empty weeks
    included, the latest WEEKS_SHOWN weeks."""
    counted = dict(
        MiningSession.objects.filter(signature_hash=signature_hash)
        .annotate(week=TruncWeek("last_seen"))
        .order_by()
        .values("week")
        .annotate(n=Count("id"))
        .values_list("week", "n")
    )
    if not counted:
        return []
    per_week = Counter()
    for week, n in counted.items():
        per_week[week.date() if isinstance(week, datetime) else week] += n
    last = max(per_week)
    first = max(min(per_week), last - timedelta(weeks=WEEKS_SHOWN - 1))
    weeks = [first + timedelta(weeks=k) for k in range((last - first).days // 7 + 1)]
    return [(week, per_week[week]) for week in weeks]


def _recent_sessions(signature_hash: str) -> list[SessionTrace]:
    recent = (
        MiningSession.objects.filter(signature_hash=signature_hash)
        .order_by("-last_seen", "-id")
        .values("session_id")[:RECENT_SESSIONS]
    )
    events = (
        UsageEvent.objects.filter(session_id__in=recent)
        .order_by("session_id", "occurred_at", "id")
        .values_list("session_id", "skill_id", "outcome", "occurred_at", "user__username")
    )
    traces: dict[str, SessionTrace] = {}
    for session_id, skill_id, outcome, occurred_at, username in events:
        trace = traces.get(session_id)
        if trace is None:
            trace = traces[session_id] = SessionTrace(session_id, [], occurred_at, occurred_at, [], 0)
        trace.ended = occurred_at
        if username and username not in trace.users:
            trace.users.append(username)
        if len(trace.steps) < STEPS_SHOWN:
            trace.steps.append((skill_id, outcome))
        else:
            trace.more += 1
    return sorted(traces.values(), key=lambda t: t.ended, reverse=True)


# --- Co-occurrence and sessions: the REST reads of seed 000's view and seed 001's session table ---------------


def cooccurrence_sets(*, skill: str | None = None, min_sessions: int = 1) -> QuerySet:
    """Seed 000's v_skill_cooccurrence from the miner's table (MiningSession): the skill sets that
    succeeded together in a session — two skills or more —, per context (tier, element, realm),
    with the number of sessions (`sessions`), their events, success rate and last time seen, and
    the emergence candidate of that set and context when there is one. `skill`: sets holding it
    (the GIN index on PostgreSQL). One grouped query, as fresh as the last mining run."""
    rows = MiningSession.objects.filter(skill_count__gte=2)
    if skill:
        rows = rows.filter(skills__has_element=skill)
    candidate = EmergenceCandidate.objects.filter(signature_hash=OuterRef("signature_hash"))
    return (
        rows.order_by()
        .values("signature_hash", "skills", "tier", "element", "realm")
        .annotate(
            sessions=Count("id"),
            success_events=Sum("success_events"),
            total_events=Sum("total_events"),
            last_seen=Max("last_seen"),
            candidate_id=Subquery(candidate.values("id")[:1]),
            candidate_status=Subquery(candidate.values("status")[:1]),
        )
        .filter(sessions__gte=min_sessions)
        .order_by("-sessions", "signature_hash")
    )
