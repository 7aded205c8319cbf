"""The registry read as pages and endpoints show it: skills with their current version and metrics,
versions with their usage, what a user may load, the analytics from the aggregates."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from django.conf import settings
from django.db.models import (
    Count,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce

from skills.models import (
    Outcome,
    Skill,
    SkillMetrics,
    SkillVersion,
    SkillVersionFile,
    UsageEvent,
    VersionRegression,
)
from skills.text_counter import TextCounter


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
FREE_TEXT_HELP = (
    "Free text sent with events, the most frequent first. Staff read every value kept; other callers only "
    "the values at least METRICS_MIN_DISTINCT_USERS (3) distinct users sent, so one user's words never reach "
    "another. At most METRICS_TOP_K (50) values a counter: exact up to that many distinct values, the most "
    "frequent (approximately) beyond."
)


def free_text_counts(stored: dict, *, staff: bool) -> dict[str, int]:
    """A stored free-text counter as `staff` (or not) may read it: {value: count}, the most frequent first."""
    return TextCounter(stored).counts(0 if staff else settings.METRICS_MIN_DISTINCT_USERS)


def effectiveness_rows() -> QuerySet[SkillMetrics]:
    """Seed 000's v_skill_effectiveness, served from SkillMetrics: one row a skill, no scan of the log."""
    # The sketch and the counters are the large columns and this view needs none of them.
    return (
        SkillMetrics.objects.select_related("skill")
        .filter(total_invocations__gt=0)
        .defer("latency_sketch", "workflow_paths", "error_types", "follow_up_actions")
    )


def metrics_summary(*, staff: bool) -> dict:
    """Seed 001's dashboard summary from the per-skill aggregates: 4 queries whatever the log's size
    (each skill's error and path counters are at most METRICS_TOP_K values)."""
    totals = SkillMetrics.objects.aggregate(
        total_invocations=Sum("total_invocations"),
        completed=Sum("completed_count"),
        duration_sum=Sum("duration_sum_ms"),
        duration_count=Sum("duration_count"),
    )
    most_used = SkillMetrics.objects.filter(total_invocations__gt=0).order_by("-total_invocations", "skill_id").first()
    errors, paths = TextCounter(), TextCounter()
    # Users' own words: merged across skills with who sent them, so a value reaches a non-staff reader
    # once enough distinct users sent it, whichever skills they sent it with.
    for error_types, workflow_paths in SkillMetrics.objects.values_list("error_types", "workflow_paths"):
        errors.merge(error_types)
        paths.merge(workflow_paths)
    min_users = 0 if staff else settings.METRICS_MIN_DISTINCT_USERS
    invocations = totals["total_invocations"] or 0
    return {
        "total_skills": Skill.objects.count(),
        "total_invocations": invocations,
        "overall_completion_rate": 100.0 * (totals["completed"] or 0) / invocations if invocations else 0.0,
        "most_used_skill": most_used.skill_id if most_used else None,
        "most_used_count": most_used.total_invocations if most_used else 0,
        "avg_duration_ms": totals["duration_sum"] / totals["duration_count"] if totals["duration_count"] else None,
        "top_error_types": [{"error_type": k, "count": v} for k, v in _top(errors.counts(min_users))],
        "top_workflow_paths": [{"workflow_path": k, "count": v} for k, v in _top(paths.counts(min_users))],
    }


def _top(counts: dict[str, int]) -> list[tuple[str, int]]:
    return list(counts.items())[:TOP_N]


# --- Skill versions -----------------------------------------------------------------------------------


def versions_with_usage(versions: QuerySet[SkillVersion]) -> QuerySet[SkillVersion]:
    """Annotates `uses` and `successes`: the events that ran each version (their `skill_version`).
    Two subqueries in the versions' own query, through the log's index on skill_version."""
    events = UsageEvent.objects.filter(skill_version=OuterRef("pk")).order_by().values("skill_version")
    counted = events.annotate(n=Count("id")).values("n")
    succeeded = events.filter(outcome=Outcome.SUCCESS).annotate(n=Count("id")).values("n")
    return versions.annotate(uses=Coalesce(Subquery(counted), 0), successes=Coalesce(Subquery(succeeded), 0))


def version_diff(current: SkillVersion, target: SkillVersion, *, label: str = "current") -> list[tuple[str, str]]:
    """The unified diff (standard library difflib) from the current version's content to the target's,
    as (kind, line) with kind one of "add", "del", "hunk", "file", "same"; `label` marks the first."""
    lines = difflib.unified_diff(
        current.content.splitlines(),
        target.content.splitlines(),
        fromfile=f"{current.skill_id} {current.version}" + (f" ({label})" if label else ""),
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


def versions_with_files(versions: QuerySet[SkillVersion]) -> QuerySet[SkillVersion]:
    """Annotates `file_count` and `files_size` (bytes, SKILL.md not counted): two subqueries in the
    versions' own query."""
    files = SkillVersionFile.objects.filter(version=OuterRef("pk")).order_by().values("version")
    counted = files.annotate(n=Count("id")).values("n")
    sized = files.annotate(n=Sum("size")).values("n")
    return versions.annotate(file_count=Coalesce(Subquery(counted), 0), files_size=Coalesce(Subquery(sized), 0))


def version_files(version: SkillVersion) -> QuerySet[SkillVersionFile]:
    """The version's files without their bytes: one query."""
    return version.files.defer("content").order_by("path")


@dataclass(frozen=True)
class RollbackComparison:
    """The current version and the one a rollback would make current, each with its uses and
    successes (events that ran it); `worse` when the target's success rate is lower."""

    current: SkillVersion | None
    target: SkillVersion

    @staticmethod
    def rate(version: SkillVersion | None) -> float | None:
        return version.successes / version.uses if version is not None and version.uses else None

    @property
    def worse(self) -> bool:
        current, target = self.rate(self.current), self.rate(self.target)
        return current is not None and target is not None and target < current


def rollback_comparison(target: SkillVersion) -> RollbackComparison:
    """Both versions' usage in one query (the current version's and the target's)."""
    versions = versions_with_usage(SkillVersion.objects.filter(skill_id=target.skill_id).filter(
        Q(pk=target.pk) | Q(is_current=True)))  # fmt: skip
    by_pk = {version.pk: version for version in versions}
    current = next((v for v in by_pk.values() if v.is_current), None)
    return RollbackComparison(current, by_pk[target.pk])
