"""The skills admin: every model registered; review workflows call skills.services."""

from django.contrib import admin

from skills.models import (
    CandidateReview,
    EmergenceCandidate,
    Feedback,
    SessionSkill,
    Skill,
    SkillDailyUsage,
    SkillMetrics,
    SkillUnlock,
    SkillUserUsage,
    SkillVersion,
    UsageEvent,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Aggregates and the log are written by services only, never by hand."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class SkillVersionInline(admin.TabularInline):
    model = SkillVersion
    extra = 0
    fields = ["version", "is_current", "sha256", "changelog", "created_at", "created_by"]
    readonly_fields = fields
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Skill)
class SkillAdmin(admin.ModelAdmin):
    list_display = ["skill_id", "display_name", "tier", "category", "trust_level", "enabled", "updated_at"]
    list_filter = ["enabled", "tier", "category", "trust_level"]
    search_fields = ["skill_id", "display_name", "description"]
    readonly_fields = ["sha256", "source_path", "created_at", "updated_at"]
    inlines = [SkillVersionInline]


@admin.register(SkillVersion)
class SkillVersionAdmin(admin.ModelAdmin):
    list_display = ["skill", "version", "is_current", "created_at", "created_by"]
    list_filter = ["is_current"]
    search_fields = ["skill__skill_id", "version", "changelog"]
    list_select_related = ["skill", "created_by"]
    raw_id_fields = ["skill", "created_by"]
    readonly_fields = ["sha256", "is_current", "created_at"]


@admin.register(SkillUnlock)
class SkillUnlockAdmin(admin.ModelAdmin):
    list_display = ["user", "skill", "unlocked", "unlocked_at", "unlock_reason", "granted_by"]
    list_filter = ["unlocked", "skill__tier"]
    search_fields = ["user__username", "skill__skill_id", "unlock_reason"]
    list_select_related = ["user", "skill", "granted_by"]
    raw_id_fields = ["user", "skill", "granted_by"]


@admin.register(UsageEvent)
class UsageEventAdmin(ReadOnlyAdmin):
    list_display = ["occurred_at", "skill", "outcome", "latency_ms", "user", "session_id", "workflow_path"]
    list_filter = ["outcome"]
    search_fields = ["workflow_path", "session_id", "skill__skill_id"]
    list_select_related = ["skill", "user"]
    date_hierarchy = "occurred_at"
    show_full_result_count = False


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


class CandidateReviewInline(admin.TabularInline):
    model = CandidateReview
    extra = 0
    fields = ["created_at", "from_status", "to_status", "reviewer", "note"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(EmergenceCandidate)
class EmergenceCandidateAdmin(admin.ModelAdmin):
    list_display = ["__str__", "status", "support_count", "avg_success_rate", "tier", "element", "realm", "last_seen"]
    list_filter = ["status", "tier", "element", "realm"]
    search_fields = ["signature_hash", "review_notes"]
    list_select_related = ["reviewed_by"]
    readonly_fields = ["signature_hash", "reviewed_by", "reviewed_at", "first_seen", "last_seen", "deployed_skill"]
    inlines = [CandidateReviewInline]
