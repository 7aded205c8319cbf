"""The usage log (read-only, fast on large tables) and the aggregate tables, read-only."""

from django.contrib import admin

from skills.api.telemetry import search_workflow_paths
from skills.models import (
    Feedback,
    MiningRun,
    SessionSkill,
    SkillDailyUsage,
    SkillMetrics,
    SkillUserUsage,
    UsageEvent,
)

from .common import EstimatedCountPaginator, ReadOnlyAdmin


@admin.register(UsageEvent)
class UsageEventAdmin(ReadOnlyAdmin):
    list_display = ["occurred_at", "skill", "outcome", "latency_ms", "user", "session_id", "workflow_path"]
    list_filter = ["outcome", ("occurred_at", admin.DateFieldListFilter), "skill"]
    search_fields = ["workflow_path"]
    list_select_related = ["skill", "user"]
    # No full-table count anywhere on the page: an estimate, and a capped count when filtered.
    paginator = EstimatedCountPaginator
    show_full_result_count = False
    ordering = ["-occurred_at"]

    def get_search_results(self, request, queryset, search_term):
        # The API's search: full text through the GIN index on PostgreSQL, substrings on SQLite.
        return search_workflow_paths(queryset, search_term), False


@admin.register(Feedback)
class FeedbackAdmin(admin.ModelAdmin):
    list_display = ["created_at", "skill", "rating", "user", "notes"]
    list_filter = ["rating"]
    search_fields = ["skill__skill_id", "notes"]
    list_select_related = ["skill", "user"]
    raw_id_fields = ["skill", "user", "event"]


@admin.register(SkillMetrics)
class SkillMetricsAdmin(ReadOnlyAdmin):
    list_display = ["skill", "total_invocations", "completion_rate", "p95_ms", "avg_rating", "effectiveness_score"]
    search_fields = ["skill__skill_id"]
    list_select_related = ["skill"]


@admin.register(SessionSkill)
class SessionSkillAdmin(ReadOnlyAdmin):
    list_display = ["session_id", "skill", "invocation_count", "success_count", "first_invoked_at", "last_invoked_at"]
    search_fields = ["session_id", "skill__skill_id"]
    list_select_related = ["skill"]
    paginator = EstimatedCountPaginator
    show_full_result_count = False


@admin.register(SkillUserUsage)
class SkillUserUsageAdmin(ReadOnlyAdmin):
    list_display = ["skill", "user", "invocation_count", "first_invoked_at", "last_invoked_at"]
    search_fields = ["skill__skill_id", "user__username"]
    list_select_related = ["skill", "user"]


@admin.register(SkillDailyUsage)
class SkillDailyUsageAdmin(ReadOnlyAdmin):
    list_display = ["day", "skill", "total", "success_count", "failure_count", "error_count", "cost_usd_sum"]
    list_filter = ["day"]
    search_fields = ["skill__skill_id"]
    list_select_related = ["skill"]


@admin.register(MiningRun)
class MiningRunAdmin(ReadOnlyAdmin):
    list_display = ["started_at", "full", "sessions_mined", "candidates_touched", "finished_at", "watermark"]
