"""Read paths of the skills app shaped for pages and endpoints."""

from collections import Counter

from django.db.models import Count, Max, Min, Prefetch, QuerySet, Sum

from skills.models import AgentApiRequest, Skill, SkillMetrics, SkillVersion


def skills_with_current_version() -> QuerySet[Skill]:
    """Skills with `current_versions` (a list of 0 or 1) and metrics loaded: 2 queries for any page."""
    return Skill.objects.select_related("metrics").prefetch_related(
        Prefetch("versions", queryset=SkillVersion.objects.filter(is_current=True), to_attr="current_versions")
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
    """Seed 001's dashboard summary from the per-skill aggregates: 3 queries whatever the log's size."""
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
