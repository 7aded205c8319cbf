"""The roadmaps admin: readable plans, progress filterable by status."""

from django.contrib import admin
from django.utils.html import format_html, format_html_join

from .models import MilestoneProgress, PracticeActivity, Roadmap, SkillDeconstruction
from .plan import plan_errors


@admin.register(SkillDeconstruction)
class SkillDeconstructionAdmin(admin.ModelAdmin):
    list_display = ["skill_name", "skill_type", "owner", "created_at"]
    list_filter = ["skill_type"]
    search_fields = ["skill_name", "user_query", "owner__username"]
    list_select_related = ["owner"]
    raw_id_fields = ["owner"]
    readonly_fields = ["plan", "created_at", "updated_at"]

    @admin.display(description="Levels and milestones")
    def plan(self, deconstruction: SkillDeconstruction) -> str:
        data = deconstruction.deconstruction_data
        if plan_errors(data):
            return "(not a valid plan)"
        return format_html_join(
            "",
            "<h3>{}</h3><p>{}</p><ol>{}</ol>",
            (
                (
                    level["title"],
                    level["description"],
                    format_html_join(
                        "",
                        "<li><strong>{}</strong> ({} min, {} × {}): {}</li>",
                        (
                            (m["title"], m["estimatedTime"], m["doThisNow"]["reps"], m["doThisNow"]["sets"],
                             m["doThisNow"]["prompt"])
                            for m in level["milestones"]
                        ),
                    ),
                )
                for level in data["levels"]
            ),
        ) + format_html("<p>Total: {} minutes, {}</p>", data["totalEstimatedTime"], data["difficulty"])  # fmt: skip


@admin.register(Roadmap)
class RoadmapAdmin(admin.ModelAdmin):
    list_display = ["title", "owner", "is_deconstructed", "created_at"]
    list_filter = ["is_deconstructed"]
    search_fields = ["title", "owner__username"]
    list_select_related = ["owner"]
    raw_id_fields = ["owner", "deconstruction"]


@admin.register(MilestoneProgress)
class MilestoneProgressAdmin(admin.ModelAdmin):
    list_display = ["milestone_id", "deconstruction", "status", "practice_attempts", "practice_completions",
                    "started_at", "completed_at"]  # fmt: skip
    list_filter = ["status"]
    search_fields = ["milestone_id", "deconstruction__skill_name", "deconstruction__owner__username"]
    list_select_related = ["deconstruction"]
    raw_id_fields = ["deconstruction"]


@admin.register(PracticeActivity)
class PracticeActivityAdmin(admin.ModelAdmin):
    list_display = ["title", "activity_type", "completed", "completion_time", "difficulty_rating", "created_at"]
    list_filter = ["activity_type", "completed"]
    search_fields = ["title", "user_notes"]
    list_select_related = ["milestone_progress"]
    raw_id_fields = ["milestone_progress"]
