"""The usage log (read-only, fast on large tables) and the aggregate tables, read-only."""

from urllib.parse import quote

from django.contrib import admin
from django.utils.html import format_html, format_html_join

from ..api.telemetry import search_workflow_paths
from ..models import (
    Feedback,
    MiningRun,
    SessionSkill,
    SkillDailyUsage,
    SkillMetrics,
    SkillUserUsage,
    UsageEvent,
)
from .common import EstimatedCountPaginator, ReadOnlyAdmin, short_time, truncated

TAG_CHOICES_FROM = 500
TAGS_SHOWN = 4


@admin.register(UsageEvent)
class UsageEventAdmin(ReadOnlyAdmin):
    list_display = ["occurred", "skill", "version", "outcome", "latency_ms", "user", "session", "workflow"]
    list_filter = ["outcome", ("occurred_at", admin.DateFieldListFilter), "skill"]
    search_fields = ["workflow_path"]
    list_select_related = ["skill", "user", "skill_version"]
    list_per_page = 50
    # No full-table count anywhere on the page: an estimate, and a capped count when filtered.
    paginator = EstimatedCountPaginator
    show_full_result_count = False
    ordering = ["-occurred_at"]

    def get_search_results(self, request, queryset, search_term):
        # The API's search: full text through the GIN index on PostgreSQL, substrings on SQLite.
        return search_workflow_paths(queryset, search_term), False

    @admin.display(description="Occurred", ordering="occurred_at")
    def occurred(self, event: UsageEvent) -> str:
        return short_time(event.occurred_at)

    @admin.display(description="Version", ordering="skill_version__version")
    def version(self, event: UsageEvent) -> str:
        return event.skill_version.version if event.skill_version else "—"

    @admin.display(description="Session", ordering="session_id")
    def session(self, event: UsageEvent) -> str:
        """The session's events, a click away (this list filtered by the session)."""
        if not event.session_id:
            return "—"
        return format_html('<a href="?session_id={}">{}</a>', quote(event.session_id), truncated(event.session_id, 20))

    @admin.display(description="Workflow path", ordering="workflow_path")
    def workflow(self, event: UsageEvent) -> str:
        return truncated(event.workflow_path, 28)


class TagFilter(admin.SimpleListFilter):
    """Feedback carrying one tag (`?tag=`, any tag). The choices are the tags of the latest
    TAG_CHOICES_FROM feedback: listing every tag ever used would read the whole table."""

    title = "tag"
    parameter_name = "tag"

    def lookups(self, request, model_admin):
        recent = Feedback.objects.order_by("-created_at", "-id").values_list("tags", flat=True)[:TAG_CHOICES_FROM]
        tags = {tag for tags in recent for tag in tags if isinstance(tag, str)}
        if self.value():
            tags.add(self.value())
        return [(tag, tag) for tag in sorted(tags)]

    def queryset(self, request, queryset):
        return queryset.filter(tags__has_element=self.value()) if self.value() else queryset


@admin.register(Feedback)
class FeedbackAdmin(admin.ModelAdmin):
    list_display = ["created", "skill", "rating", "user", "tag_list", "note"]
    list_filter = ["rating", TagFilter]
    search_fields = ["skill__skill_id", "notes"]
    list_select_related = ["skill", "user"]
    raw_id_fields = ["skill", "user", "event"]

    @admin.display(description="Created", ordering="created_at")
    def created(self, feedback: Feedback) -> str:
        return short_time(feedback.created_at)

    @admin.display(description="Tags")
    def tag_list(self, feedback: Feedback) -> str:
        """Each tag links to the list filtered by it."""
        tags = [str(tag) for tag in feedback.tags][:TAGS_SHOWN]
        more = len(feedback.tags) - len(tags)
        links = format_html_join(", ", '<a href="?tag={}">{}</a>', ((quote(tag), truncated(tag, 20)) for tag in tags))
        return format_html("{}{}", links, f" +{more}" if more > 0 else "") if tags else "—"

    @admin.display(description="Notes")
    def note(self, feedback: Feedback) -> str:
        return truncated(feedback.notes, 60)


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
