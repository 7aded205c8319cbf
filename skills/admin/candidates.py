"""Emergence-candidate review: approve / reject / deploy with a note, mining from a button."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.views.decorators.http import require_POST

from skills.models import CandidateReview, EmergenceCandidate, Job
from skills.services import candidate_approve, candidate_deploy, candidate_reject

from .common import NoteForm
from .jobs import queue_job


class CandidateReviewInline(admin.TabularInline):
    model = CandidateReview
    extra = 0
    fields = ["created_at", "from_status", "to_status", "reviewer", "note"]
    readonly_fields = fields
    can_delete = False
    verbose_name_plural = "review history"

    def has_add_permission(self, request, obj=None) -> bool:
        return False


def _review_action(service, verb: str, done_verb: str):
    def action(modeladmin, request, queryset):
        form = NoteForm(request.POST if "apply" in request.POST else None)
        if not form.is_valid():
            context = {
                **modeladmin.admin_site.each_context(request),
                "title": f"{verb.capitalize()} {queryset.count()} candidate(s)",
                "candidates": queryset,
                "form": form,
                "action": request.POST["action"],
                "verb": verb,
                "opts": modeladmin.model._meta,
                "action_checkbox_name": ACTION_CHECKBOX_NAME,
            }
            return TemplateResponse(request, "admin/skills/emergencecandidate/review.html", context)
        done = 0
        for candidate in queryset:
            try:
                with transaction.atomic():
                    service(candidate=candidate, reviewer=request.user, note=form.cleaned_data["note"])
                done += 1
            except ValidationError as error:
                modeladmin.message_user(request, " ".join(error.messages), messages.ERROR)
        if done:
            modeladmin.message_user(request, f"{done_verb} {done} candidate(s).", messages.SUCCESS)
        return None

    action.__name__ = verb
    action.short_description = f"{verb.capitalize()} selected candidates (asks for a note)"
    return action


@admin.register(EmergenceCandidate)
class EmergenceCandidateAdmin(admin.ModelAdmin):
    list_display = ["skill_set", "status", "support_count", "avg_success_rate", "field_coherence", "tier", "element",
                    "realm", "last_seen"]  # fmt: skip
    list_filter = ["status", "tier", "element", "realm"]
    search_fields = ["signature_hash", "review_notes", "skills"]
    ordering = ["-support_count", "id"]
    list_select_related = ["reviewed_by"]
    # Everything on the page is mined or written by the review services: nothing to edit by hand.
    fields = readonly_fields = [
        "skill_set", "tier", "element", "realm", "status", "support_count", "avg_success_rate", "field_coherence",
        "signature_hash", "reviewed_by", "reviewed_at", "review_notes", "first_seen", "last_seen", "deployed_skill",
    ]  # fmt: skip
    inlines = [CandidateReviewInline]
    actions = [
        _review_action(candidate_approve, "approve", "Approved"),
        _review_action(candidate_reject, "reject", "Rejected"),
        _review_action(candidate_deploy, "deploy", "Deployed"),
    ]
    change_list_template = "admin/skills/emergencecandidate/change_list.html"

    def has_add_permission(self, request) -> bool:
        return False  # candidates come from mining

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # the review trail stays; mining would bring a deleted set back as new

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # Change permission is what the review actions need; the page itself has nothing to save.
        extra_context = {**(extra_context or {}), "show_save": False, "show_save_and_continue": False}
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.display(description="Skills")
    def skill_set(self, candidate: EmergenceCandidate) -> str:
        return format_html_join(
            " + ",
            '<a href="{}">{}</a>',
            ((reverse("admin:skills_skill_change", args=[skill]), skill) for skill in candidate.skills),
        ) or format_html("{}", "—")

    def get_urls(self):
        mine = self.admin_site.admin_view(require_POST(self.mine_view))
        return [path("mine/", mine, name="skills_emergencecandidate_mine"), *super().get_urls()]

    def mine_view(self, request):
        if not self.has_change_permission(request):
            raise PermissionDenied
        # A job (on the Celery worker when there is a broker): the run's page shows its progress.
        return queue_job(request, Job.MINE_EMERGENCE_FULL if request.POST.get("full") == "1" else Job.MINE_EMERGENCE)
