"""The roadmaps admin: readable plans, progress filterable by status, milestone actions.

Learner data is written by the learner's own services (a roadmap made here would have no
progress rows, an activity typed in would not move the counters), so the admin adds
nothing: it reads, searches, edits titles and notes, and moves milestones through the
same services as the API.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.html import format_html, format_html_join

from .models import MilestoneProgress, PracticeActivity, Roadmap, SkillDeconstruction
from .plan import plan_errors
from .services.milestones import milestone_complete, milestone_fail, milestone_reset, milestone_start
from .services.practice import practice_activity_delete
from .services.roadmaps import roadmap_delete, roadmap_update

NOT_A_VALID_PLAN = "(not a valid plan)"


class NoAddAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def get_queryset(self, request):
        # The models' one scoping rule, as the pages and the API use it (staff see everyone's).
        return super().get_queryset(request).visible_to(request.user)


def _milestones_html(level: dict):
    return format_html_join(
        "",
        "<li><strong>{}</strong> <code>{}</code> ({} min, {} × {}): {} <em>Success: {}</em></li>",
        (
            (m["title"], m["id"], m["estimatedTime"], m["doThisNow"]["reps"], m["doThisNow"]["sets"],
             m["doThisNow"]["prompt"], m["doThisNow"]["successCriteria"])
            for m in level["milestones"]
        ),
    )  # fmt: skip


@admin.register(SkillDeconstruction)
class SkillDeconstructionAdmin(NoAddAdmin):
    list_display = ["skill_name", "skill_type", "origin", "catalog_entry", "owner", "milestone_count", "total_minutes",
                    "created_at"]  # fmt: skip
    list_filter = ["origin", "skill_type", "created_at"]
    search_fields = ["skill_name", "user_query", "catalog_entry", "owner__username"]
    list_select_related = ["owner"]
    date_hierarchy = "created_at"
    fields = ["owner", "user_query", "skill_name", "skill_type", "origin", "catalog_entry", "plan",
              "deconstruction_data", "created_at", "updated_at"]  # fmt: skip
    readonly_fields = ["owner", "user_query", "skill_type", "origin", "catalog_entry", "plan", "deconstruction_data",
                       "created_at", "updated_at"]  # fmt: skip

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # a plan is fixed once progress rows point at its milestones: view only

    @admin.display(description="milestones")
    def milestone_count(self, deconstruction: SkillDeconstruction) -> int:
        return len(deconstruction.milestone_ids())

    @admin.display(description="minutes")
    def total_minutes(self, deconstruction: SkillDeconstruction):
        return (deconstruction.deconstruction_data or {}).get("totalEstimatedTime")

    @admin.display(description="Levels and milestones")
    def plan(self, deconstruction: SkillDeconstruction) -> str:
        data = deconstruction.deconstruction_data
        if plan_errors(data):
            return NOT_A_VALID_PLAN
        levels = format_html_join(
            "",
            "<h3>{}</h3><p>{}</p><ol>{}</ol>",
            ((level["title"], level["description"], _milestones_html(level)) for level in data["levels"]),
        )
        return levels + format_html("<p>Total: {} minutes, {}</p>", data["totalEstimatedTime"], data["difficulty"])


@admin.register(Roadmap)
class RoadmapAdmin(NoAddAdmin):
    list_display = ["title", "owner", "deconstruction", "is_deconstructed", "created_at"]
    list_filter = ["is_deconstructed", "created_at"]
    search_fields = ["title", "description", "owner__username"]
    list_select_related = ["owner", "deconstruction"]
    readonly_fields = ["owner", "deconstruction", "is_deconstructed", "created_at", "updated_at"]

    def save_model(self, request, obj: Roadmap, form, change: bool) -> None:
        roadmap_update(roadmap=obj, title=obj.title, description=obj.description)

    def delete_model(self, request, obj: Roadmap) -> None:
        roadmap_delete(roadmap=obj)

    def delete_queryset(self, request, queryset) -> None:
        for roadmap in queryset:
            roadmap_delete(roadmap=roadmap)


def _milestone_action(service: Callable, verb: str, description: str):
    def action(modeladmin, request, queryset):
        moved = 0
        for progress in queryset.select_related("deconstruction"):
            try:
                service(progress=progress)
            except ValidationError as error:
                modeladmin.message_user(request, " ".join(error.messages), messages.ERROR)
            else:
                moved += 1
        if moved:
            modeladmin.message_user(request, f"{verb} {moved} milestone(s).", messages.SUCCESS)

    action.__name__ = service.__name__
    return admin.action(description=description, permissions=["change"])(action)


@admin.register(MilestoneProgress)
class MilestoneProgressAdmin(NoAddAdmin):
    list_display = ["milestone_id", "deconstruction", "learner", "status", "practice_attempts",
                    "practice_completions", "started_at", "completed_at"]  # fmt: skip
    list_filter = ["status", "deconstruction__skill_type", "completed_at"]
    search_fields = ["milestone_id", "deconstruction__skill_name", "deconstruction__owner__username"]
    list_select_related = ["deconstruction__owner"]
    readonly_fields = ["deconstruction", "milestone_id", "status", "started_at", "completed_at",
                       "practice_attempts", "practice_completions", "created_at", "updated_at"]  # fmt: skip
    actions = [
        _milestone_action(milestone_start, "Started", "Start the selected milestones"),
        _milestone_action(milestone_complete, "Completed", "Complete the selected milestones"),
        _milestone_action(milestone_fail, "Failed", "Fail the selected milestones"),
        _milestone_action(milestone_reset, "Reset", "Reset the selected milestones"),
    ]

    @admin.display(description="learner", ordering="deconstruction__owner__username")
    def learner(self, progress: MilestoneProgress) -> str:
        return progress.deconstruction.owner.get_username()


@admin.register(PracticeActivity)
class PracticeActivityAdmin(NoAddAdmin):
    list_display = ["title", "milestone", "learner", "activity_type", "completed", "completion_time",
                    "difficulty_rating", "created_at"]  # fmt: skip
    list_filter = ["activity_type", "completed", "difficulty_rating", "created_at"]
    search_fields = ["title", "user_notes", "milestone_progress__milestone_id",
                     "milestone_progress__deconstruction__owner__username"]  # fmt: skip
    list_select_related = ["milestone_progress__deconstruction__owner"]
    date_hierarchy = "created_at"
    readonly_fields = ["milestone_progress", "activity_type", "reps", "completed", "counted", "completion_time",
                       "difficulty_rating", "created_at", "completed_at"]  # fmt: skip

    def delete_model(self, request, obj: PracticeActivity) -> None:
        practice_activity_delete(activity=obj)  # the milestone is recounted

    def delete_queryset(self, request, queryset) -> None:
        for activity in queryset:
            practice_activity_delete(activity=activity)

    @admin.display(description="milestone", ordering="milestone_progress__milestone_id")
    def milestone(self, activity: PracticeActivity) -> str:
        return activity.milestone_progress.milestone_id

    @admin.display(description="learner", ordering="milestone_progress__deconstruction__owner__username")
    def learner(self, activity: PracticeActivity) -> str:
        return activity.milestone_progress.deconstruction.owner.get_username()
