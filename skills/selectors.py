"""Read paths of the skills app shaped for pages and endpoints."""

from collections import Counter

from django.db.models import Prefetch, QuerySet, Sum

from skills.models import Skill, SkillMetrics, SkillVersion, VersionRegression


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
