"""Emergence-candidate review: approve / reject / deploy with a note, mining from a button."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.views.decorators.http import require_POST

from skills.models import CandidateReview, EmergenceCandidate
from skills.services import candidate_approve, candidate_deploy, candidate_reject, emergence_mine

from .common import NoteForm


class CandidateReviewInline(admin.TabularInline):
    model = CandidateReview
    extra = 0
    fields = ["created_at", "from_status", "to_status", "reviewer", "note"]
    readonly_fields = fields
    can_delete = False
    verbose_name_plural = "review history"

    def has_add_permission(self, request, obj=None) -> bool:
        return False


def _review_action(service, verb: str):
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
            modeladmin.message_user(request, f"{verb.capitalize()}d {done} candidate(s).", messages.SUCCESS)
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
    readonly_fields = [
        "signature_hash", "skill_set", "status", "support_count", "avg_success_rate", "field_coherence",
        "reviewed_by", "reviewed_at", "review_notes", "first_seen", "last_seen", "deployed_skill",
    ]  # fmt: skip
    exclude = ["skills"]
    inlines = [CandidateReviewInline]
    actions = [
        _review_action(candidate_approve, "approve"),
        _review_action(candidate_reject, "reject"),
        _review_action(candidate_deploy, "deploy"),
    ]
    change_list_template = "admin/skills/emergencecandidate/change_list.html"

    def has_add_permission(self, request) -> bool:
        return False  # candidates come from mining

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
        report = emergence_mine(full=request.POST.get("full") == "1")
        kind = "Full" if report.full else "Incremental"
        self.message_user(
            request, f"{kind} mining: {report.sessions} session(s) mined, {report.candidates} candidate(s) updated."
        )
        return HttpResponseRedirect(reverse("admin:skills_emergencecandidate_changelist"))
