"""Read paths of the skills app shaped for pages and endpoints."""

import difflib
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import (
    Case,
    CharField,
    Count,
    Max,
    Min,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncWeek
from django.utils import timezone

from skills.models import (
    AgentApiRequest,
    EmergenceCandidate,
    MiningSession,
    Outcome,
    SessionSkill,
    Skill,
    SkillDailyUsage,
    SkillMetrics,
    SkillVersion,
    UsageEvent,
    VersionRegression,
)


def skills_with_current_version() -> QuerySet[Skill]:
    """Skills with `current_versions` (a list of 0 or 1) and metrics loaded: 2 queries for any page."""
    return Skill.objects.select_related("metrics").prefetch_related(
        Prefetch("versions", queryset=SkillVersion.objects.filter(is_current=True), to_attr="current_versions")
    )


def skill_detail() -> QuerySet[Skill]:
    """Skills as `skills_with_current_version`, plus `active_regressions` (0 or 1) with both versions: 3 queries."""
    active = VersionRegression.objects.active().select_related("baseline_version", "current_version")
    return skills_with_current_version().prefetch_related(
        Prefetch("regressions", queryset=active, to_attr="active_regressions")
    )


TOP_N = 10


def effectiveness_rows() -> QuerySet[SkillMetrics]:
    """Seed 000's v_skill_effectiveness, served from SkillMetrics: one row a skill, no scan of the log."""
    # The sketch and the counters are the large columns and this view needs none of them.
    return (
        SkillMetrics.objects.select_related("skill")
        .filter(total_invocations__gt=0)
        .defer("latency_sketch", "workflow_paths", "error_types", "follow_up_actions")
    )


def metrics_summary() -> dict:
    """Seed 001's dashboard summary from the per-skill aggregates: 4 queries whatever the log's size."""
    totals = SkillMetrics.objects.aggregate(
        total_invocations=Sum("total_invocations"),
        completed=Sum("completed_count"),
        duration_sum=Sum("duration_sum_ms"),
        duration_count=Sum("duration_count"),
    )
    most_used = SkillMetrics.objects.filter(total_invocations__gt=0).order_by("-total_invocations", "skill_id").first()
    errors, paths = Counter(), Counter()
    for error_types, workflow_paths in SkillMetrics.objects.values_list("error_types", "workflow_paths"):
        errors.update(error_types)
        paths.update(workflow_paths)
    invocations = totals["total_invocations"] or 0
    return {
        "total_skills": Skill.objects.count(),
        "total_invocations": invocations,
        "overall_completion_rate": 100.0 * (totals["completed"] or 0) / invocations if invocations else 0.0,
        "most_used_skill": most_used.skill_id if most_used else None,
        "most_used_count": most_used.total_invocations if most_used else 0,
        "avg_duration_ms": totals["duration_sum"] / totals["duration_count"] if totals["duration_count"] else None,
        "top_error_types": [{"error_type": k, "count": v} for k, v in errors.most_common(TOP_N)],
        "top_workflow_paths": [{"workflow_path": k, "count": v} for k, v in paths.most_common(TOP_N)],
    }


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


# --- Skill versions -----------------------------------------------------------------------------------


def versions_with_usage(versions: QuerySet[SkillVersion]) -> QuerySet[SkillVersion]:
    """Annotates `uses` and `successes`: the events that ran each version (their `skill_version`).
    Two subqueries in the versions' own query, through the log's index on skill_version."""
    events = UsageEvent.objects.filter(skill_version=OuterRef("pk")).order_by().values("skill_version")
    counted = events.annotate(n=Count("id")).values("n")
    succeeded = events.filter(outcome=Outcome.SUCCESS).annotate(n=Count("id")).values("n")
    return versions.annotate(uses=Coalesce(Subquery(counted), 0), successes=Coalesce(Subquery(succeeded), 0))


def version_diff(current: SkillVersion, target: SkillVersion) -> list[tuple[str, str]]:
    """The unified diff (standard library difflib) from the current version's content to the target's,
    as (kind, line) with kind one of "add", "del", "hunk", "file", "same"."""
    lines = difflib.unified_diff(
        current.content.splitlines(),
        target.content.splitlines(),
        fromfile=f"{current.skill_id} {current.version} (current)",
        tofile=f"{target.skill_id} {target.version}",
        lineterm="",
    )
    return [(_diff_kind(line), line) for line in lines]


def _diff_kind(line: str) -> str:
    if line.startswith(("+++", "---")):
        return "file"
    if line.startswith("@@"):
        return "hunk"
    return {"+": "add", "-": "del"}.get(line[:1], "same")


def skills_available_to(user) -> QuerySet[Skill]:
    """The skills `user` may load that have a published version, each with `current_versions`
    (without its content): 2 queries for any page, plus the count."""
    current = SkillVersion.objects.filter(is_current=True).defer("content", "changelog")
    return (
        Skill.objects.available_to(user)
        .filter(versions__is_current=True)
        .prefetch_related(Prefetch("versions", queryset=current, to_attr="current_versions"))
        .order_by("skill_id")
    )


def agent_sessions_of(user) -> QuerySet:
    """The caller's agent sessions with their model requests summed (tokens, cost, first / last),
    newest first: one grouped query over the user's requests (indexed by user and session)."""
    return (
        AgentApiRequest.objects.filter(user=user)
        .values("session_id")
        .annotate(
            api_requests=Count("id"),
            input_tokens=Sum("input_tokens"),
            output_tokens=Sum("output_tokens"),
            cache_read_tokens=Sum("cache_read_tokens"),
            cache_creation_tokens=Sum("cache_creation_tokens"),
            cost_usd=Sum("cost_usd"),
            first_request_at=Min("occurred_at"),
            last_request_at=Max("occurred_at"),
        )
        .order_by("-last_request_at", "session_id")
    )


# Skill health, from the roll-ups only (SkillMetrics, SkillDailyUsage, SessionSkill): no read of the log.
class Health(models.TextChoices):
    HEALTHY = "healthy", "Healthy"
    DORMANT = "dormant", "Dormant"
    FAILING = "failing", "Failing"
    MISFIRING = "misfiring", "Misfiring"


# Context cost is an estimate: about four characters a token for English text and Markdown (the
# rule of thumb Anthropic gives); no tokenizer is shipped for Claude models, and a skill's cost
# is compared with others', for which a consistent estimate serves.
CHARS_PER_TOKEN = 4


@dataclass(frozen=True)
class SkillHealth:
    status: str
    reason: str
    recent_uses: int  # completed attempts (success, failure, error) counted for the success rate
    recent_success_rate: float | None  # percent of those that succeeded
    sessions: int  # sessions of the window that loaded the skill
    misfired_sessions: int  # of those, sessions where it never succeeded (abandoned or failed)


def context_cost(skill: Skill) -> dict[str, int | None]:
    """Estimated tokens the skill adds to every session where it is available (its name and
    description, which the agent lists) and when loaded (its SKILL.md); `current_versions` prefetched."""
    current = getattr(skill, "current_versions", [])
    return {
        "listing_tokens": math.ceil(len(f"{skill.skill_id}: {skill.description}") / CHARS_PER_TOKEN),
        "body_tokens": math.ceil(len(current[0].content) / CHARS_PER_TOKEN) if current else None,
    }


def _recent_uses(daily: list[tuple[int, int]], wanted: int) -> tuple[int, int]:
    """(attempts, successes) of the newest days until `wanted` attempts: the last M uses, to the day."""
    attempts = successes = 0
    for day_attempts, day_successes in daily:
        if attempts >= wanted:
            break
        attempts, successes = attempts + day_attempts, successes + day_successes
    return attempts, successes


def _status(skill: Skill, uses: tuple[int, int], sessions: tuple[int, int], now: datetime) -> tuple[str, str]:
    attempts, successes = uses
    rate = 100.0 * successes / attempts if attempts else None
    if attempts >= settings.SKILL_HEALTH_MIN_USES and rate < settings.SKILL_HEALTH_FAILING_RATE:
        return Health.FAILING, f"{successes} of its last {attempts} uses succeeded ({rate:.0f} %)"
    loaded, misfired = sessions
    if loaded >= settings.SKILL_HEALTH_MISFIRE_MIN_SESSIONS and misfired > settings.SKILL_HEALTH_MISFIRE_SHARE * loaded:
        return Health.MISFIRING, f"loaded in {loaded} sessions, never succeeded in {misfired} of them"
    metrics = getattr(skill, "metrics", None)
    last_used = metrics.last_invoked if metrics else None
    idle_since = last_used or skill.created_at
    if skill.enabled and idle_since < now - timedelta(days=settings.SKILL_HEALTH_DORMANT_DAYS):
        since = f"not used since {last_used:%Y-%m-%d}" if last_used else f"never used since {skill.created_at:%Y-%m-%d}"
        return Health.DORMANT, f"{since}, though available"
    return Health.HEALTHY, "in use, succeeding" if attempts else "no recent uses to judge"


def skills_health(skills: Iterable[Skill] | None = None, *, now: datetime | None = None) -> dict[str, SkillHealth]:
    """Each skill's health (`skills` with metrics loaded; every skill by default), from the last
    SKILL_HEALTH_WINDOW_DAYS of roll-ups: 3 queries whatever the number of skills and events.

    failing — under SKILL_HEALTH_FAILING_RATE % of its last SKILL_HEALTH_FAILING_USES completed
    attempts succeeded (at least SKILL_HEALTH_MIN_USES; abandoned uses are misfiring's signal);
    misfiring — loaded in at least SKILL_HEALTH_MISFIRE_MIN_SESSIONS sessions and, in more than
    SKILL_HEALTH_MISFIRE_SHARE of them, never succeeded (abandoned, failed, no further work);
    dormant — enabled, and not used for SKILL_HEALTH_DORMANT_DAYS (never used: since registered);
    healthy — none of these. The first that applies wins."""
    now = now or timezone.now()
    skills = list(Skill.objects.select_related("metrics") if skills is None else skills)
    ids = [skill.skill_id for skill in skills]
    since = now - timedelta(days=settings.SKILL_HEALTH_WINDOW_DAYS)
    daily: dict[str, list[tuple[int, int]]] = defaultdict(list)
    rows = SkillDailyUsage.objects.filter(skill_id__in=ids, day__gte=since.date()).order_by("skill_id", "-day")
    for skill_id, success, failure, error in rows.values_list(
        "skill_id", "success_count", "failure_count", "error_count"
    ):
        daily[skill_id].append((success + failure + error, success))
    sessions = {
        row["skill_id"]: (row["loaded"], row["misfired"])
        for row in SessionSkill.objects.filter(skill_id__in=ids, last_invoked_at__gte=since)
        .values("skill_id")
        .annotate(loaded=Count("id"), misfired=Count("id", filter=Q(success_count=0)))
    }
    health = {}
    for skill in skills:
        uses = _recent_uses(daily[skill.skill_id], settings.SKILL_HEALTH_FAILING_USES)
        loaded = sessions.get(skill.skill_id, (0, 0))
        status, reason = _status(skill, uses, loaded, now)
        rate = round(100.0 * uses[1] / uses[0], 1) if uses[0] else None
        health[skill.skill_id] = SkillHealth(status, reason, uses[0], rate, *loaded)
    return health


def with_health(queryset: QuerySet[Skill]) -> QuerySet[Skill]:
    """The skills annotated with `health_status` (filterable, sortable), computed for every skill
    by `skills_health`: 3 queries before the queryset's own."""
    by_status: dict[str, list[str]] = defaultdict(list)
    for skill_id, health in skills_health().items():
        by_status[health.status].append(skill_id)
    whens = [
        When(skill_id__in=ids, then=Value(status)) for status, ids in by_status.items() if status != Health.HEALTHY
    ]
    return queryset.annotate(health_status=Case(*whens, default=Value(Health.HEALTHY.value), output_field=CharField()))


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


SESSION_STEPS_SHOWN = 1000
STEP_COLUMNS = ["occurred_at", "skill_id", "skill_version__version", "outcome", "latency_ms", "error_type",
                "workflow_path", "tokens_used", "tokens_saved", "cost_usd"]  # fmt: skip


@dataclass
class SessionDetail:
    session_id: str
    started_at: datetime | None
    ended_at: datetime | None
    events: int
    skills: list[dict]  # one a skill, in the order first used: outcomes, latency, tokens, cost
    steps: list[dict]  # the events in order (the first SESSION_STEPS_SHOWN)
    steps_omitted: int
    totals: dict
    model_requests: dict  # the agent's model requests in the session (OpenTelemetry api_request)


def session_detail(user, session_id: str) -> SessionDetail | None:
    """The user's own events of one session (another user's events with the same id are not
    theirs to read): None when the user has none there and no model request either. Three
    queries whatever the session's length: the skills grouped, the first steps, the model requests."""
    events = UsageEvent.objects.filter(user=user, session_id=session_id).order_by()
    skills = [_session_skill_row(row) for row in _session_skill_rows(events)]
    requests = AgentApiRequest.objects.filter(user=user, session_id=session_id).aggregate(
        count=Count("id"),
        input_tokens=Coalesce(Sum("input_tokens"), 0),
        output_tokens=Coalesce(Sum("output_tokens"), 0),
        cost_usd=Coalesce(Sum("cost_usd"), Decimal(0)),
        first=Min("occurred_at"),
        last=Max("occurred_at"),
    )
    if not skills and not requests["count"]:
        return None
    steps = list(events.order_by("occurred_at", "id").values(*STEP_COLUMNS)[:SESSION_STEPS_SHOWN])
    count = sum(row["invocations"] for row in skills)
    moments = [m for m in (requests.pop("first"), requests.pop("last")) if m is not None]
    moments += [moment for row in skills for moment in (row["first_at"], row["last_at"])]
    return SessionDetail(
        session_id=session_id, started_at=min(moments), ended_at=max(moments), events=count, skills=skills,
        steps=[{**step, "skill_version": step.pop("skill_version__version")} for step in steps],
        steps_omitted=count - len(steps), totals=_session_totals(skills), model_requests=requests,
    )  # fmt: skip


def _session_skill_rows(events: QuerySet[UsageEvent]) -> QuerySet:
    by_outcome = {outcome: Count("id", filter=Q(outcome=outcome)) for outcome in Outcome.values}
    return (
        events.values("skill_id")
        .annotate(
            invocations=Count("id"),
            **by_outcome,
            first_at=Min("occurred_at"),
            last_at=Max("occurred_at"),
            latency_count=Count("latency_ms"),
            latency_ms_total=Coalesce(Sum("latency_ms"), 0),
            tokens_used=Sum("tokens_used"),
            tokens_saved=Sum("tokens_saved"),
            cost_usd=Sum("cost_usd"),
        )  # fmt: skip
        .order_by("first_at", "skill_id")
    )


def _session_skill_row(row: dict) -> dict:
    outcomes = {outcome: row.pop(outcome) for outcome in Outcome.values}
    latency_count = row.pop("latency_count")
    average = round(row["latency_ms_total"] / latency_count, 1) if latency_count else None
    return {**row, "outcomes": outcomes, "latency_ms_avg": average}


def _session_totals(skills: list[dict]) -> dict:
    return {
        "latency_ms": sum(row["latency_ms_total"] for row in skills),
        "tokens_used": sum(row["tokens_used"] for row in skills),
        "tokens_saved": sum(row["tokens_saved"] for row in skills),
        "cost_usd": sum((row["cost_usd"] for row in skills), Decimal(0)),
    }
