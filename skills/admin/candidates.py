"""Emergence-candidate review: a queue opening on "In review", a page with the evidence and the legal
actions as buttons (each confirmed with a note), bulk actions from the list, mining from a button."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.views.decorators.http import require_POST

from ..models import CANDIDATE_TRANSITIONS, CandidateStatus, EmergenceCandidate, Job, Skill, Tier
from ..selectors.candidates import candidate_evidence, candidate_lifts
from ..services.emergence import (
    COMPOSITE_TRUST_LEVEL,
    candidate_approve,
    candidate_deploy,
    candidate_reject,
    candidate_transition_error,
    composite_skill_id,
)
from .common import NoteForm, percent, short_time
from .jobs import queue_job

LIFT_HELP = (
    "Lift = support ÷ (sessions × the product of each member's share of sessions): how many times more often "
    "the set occurs together than if its skills were used independently. About 1 means two popular skills "
    "that merely meet; well above 1, a real pattern."
)


@dataclass(frozen=True)
class Review:
    service: Callable
    target: str
    verb: str
    done: str
    effect: str  # what the confirmation page says the action will do


REVIEWS = {
    "approve": Review(
        candidate_approve, CandidateStatus.APPROVED, "Approve", "Approved",
        "Approving marks the candidate as worth deploying. Nothing is published yet: deploying is the next step.",
    ),
    "reject": Review(
        candidate_reject, CandidateStatus.REJECTED, "Reject", "Rejected",
        "Rejecting is final: the candidate can no longer be approved or deployed. Mining keeps its numbers current.",
    ),
    "deploy": Review(
        candidate_deploy, CandidateStatus.DEPLOYED, "Deploy", "Deployed",
        "Deploying publishes a composite skill in the registry and is final.",
    ),
}  # fmt: skip


class DeployForm(NoteForm):
    as_experiment = forms.BooleanField(
        required=False,
        label="Start as a 10 % experiment",
        help_text="Serve the composite to 10 % of users first; the others are told to use the member skills on "
        "their own. Promote or stop it from the experiment's page.",
    )


def legal_reviews(candidate: EmergenceCandidate) -> list[tuple[str, Review]]:
    """The review actions the candidate's status allows, in the order they are offered."""
    allowed = CANDIDATE_TRANSITIONS[candidate.status]
    return [(name, review) for name, review in REVIEWS.items() if review.target in allowed]


class StatusFilter(admin.SimpleListFilter):
    """Opens on "In review" (the queue); every status and "All" carry their counts (one query)."""

    title = "status"
    parameter_name = "status"
    ALL = "all"

    def lookups(self, request, model_admin):
        self.counts = dict(
            EmergenceCandidate.objects.order_by().values("status").annotate(n=Count("id")).values_list("status", "n")
        )
        return [(value, f"{label} ({self.counts.get(value, 0)})") for value, label in CandidateStatus.choices]

    def value(self) -> str:
        return super().value() or CandidateStatus.REVIEW

    def choices(self, changelist):
        yield {
            "selected": self.value() == self.ALL,
            "query_string": changelist.get_query_string({self.parameter_name: self.ALL}),
            "display": f"All ({sum(self.counts.values())})",
        }
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        if self.value() == self.ALL:
            return queryset
        return queryset.filter(status=self.value())


def _review_action(review: Review, name: str):
    """A bulk action from the list: the selected candidates that cannot take it are refused at once
    (a message naming each); one note is asked for the others, then each goes through the service."""

    def action(modeladmin, request, queryset):
        legal = []
        for candidate in queryset:
            refusal = candidate_transition_error(candidate, review.target)
            if refusal and "apply" not in request.POST:  # on apply, the service refuses (and says so) again
                modeladmin.message_user(request, refusal, messages.ERROR)
            else:
                legal.append(candidate)
        if not legal:
            return None
        form = NoteForm(request.POST if "apply" in request.POST else None)
        if not form.is_valid():
            context = {
                **modeladmin.admin_site.each_context(request),
                "title": f"{review.verb} {len(legal)} candidate(s)",
                "candidates": legal,
                "form": form,
                "action": request.POST["action"],
                "verb": name,
                "opts": modeladmin.model._meta,
                "action_checkbox_name": ACTION_CHECKBOX_NAME,
            }
            return TemplateResponse(request, "admin/skills/emergencecandidate/review.html", context)
        done = 0
        for candidate in legal:
            try:
                with transaction.atomic():
                    review.service(candidate=candidate, reviewer=request.user, note=form.cleaned_data["note"])
                done += 1
            except ValidationError as error:
                modeladmin.message_user(request, " ".join(error.messages), messages.ERROR)
        if done:
            modeladmin.message_user(request, f"{review.done} {done} candidate(s).", messages.SUCCESS)
        return None

    action.__name__ = name
    action.short_description = f"{review.verb} selected candidates (asks for a note)"
    return action


@admin.register(EmergenceCandidate)
class EmergenceCandidateAdmin(admin.ModelAdmin):
    list_display = ["candidate", "status", "support", "users", "success_rate", "lift", "context", "first_seen_on",
                    "last_seen_on"]  # fmt: skip
    list_display_links = ["candidate"]
    list_filter = [StatusFilter, "tier", "element", "realm"]
    search_fields = ["signature_hash", "review_notes", "skills"]
    ordering = ["-support_count", "id"]
    fieldsets = [
        (None, {"fields": ["member_skills", "status", "context", "support", "users", "success_rate", "lift",
                           "coherence", "first_seen", "last_seen"]}),
        ("Review", {"fields": ["reviewed_by", "reviewed_at", "review_notes", "deployed_skill"]}),
        ("Signature", {"classes": ["collapse"], "fields": ["signature_hash"]}),
    ]  # fmt: skip
    # Everything on the page is mined or written by the review services: nothing to edit by hand.
    readonly_fields = [field for _name, options in fieldsets for field in options["fields"]]
    actions = [_review_action(review, name) for name, review in REVIEWS.items()]
    change_list_template = "admin/skills/emergencecandidate/change_list.html"
    change_form_template = "admin/skills/emergencecandidate/change_form.html"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("reviewed_by", "deployed_skill").with_distinct_users()

    def has_add_permission(self, request) -> bool:
        return False  # candidates come from mining

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # the review trail stays; mining would bring a deleted set back as new

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, {**(extra_context or {}), "lift_help": LIFT_HELP})
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is not None:  # the page of candidates, with their lift (two queries a page)
            changelist.result_list = _with_lift(list(changelist.result_list))
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # Change permission is what the review actions need; the page itself has nothing to save.
        extra_context = {**(extra_context or {}), "show_save": False, "show_save_and_continue": False}
        return super().change_view(request, object_id, form_url, extra_context)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            _with_lift([obj])
            context.update(
                evidence=candidate_evidence(obj),
                reviews=list(obj.reviews.select_related("reviewer")),
                actions_allowed=legal_reviews(obj) if self.has_change_permission(request, obj) else [],
                lift_help=LIFT_HELP,
            )
            context["weekly_chart"] = week_chart(context["evidence"].weeks)
        return super().render_change_form(request, context, add, change, form_url, obj)

    @admin.display(description="Candidate", ordering="skills")
    def candidate(self, candidate: EmergenceCandidate) -> str:
        return str(candidate)

    @admin.display(description="Skills")
    def member_skills(self, candidate: EmergenceCandidate) -> str:
        links = [(reverse("admin:skills_skill_change", args=[skill]), skill) for skill in candidate.skills]
        return format_html_join(" + ", '<a href="{}">{}</a>', links) or "—"

    @admin.display(description="Support", ordering="support_count")
    def support(self, candidate: EmergenceCandidate) -> int:
        return candidate.support_count

    @admin.display(description="Users", ordering="distinct_users")
    def users(self, candidate: EmergenceCandidate) -> int:
        return candidate.distinct_users

    @admin.display(description="Success", ordering="avg_success_rate")
    def success_rate(self, candidate: EmergenceCandidate) -> str:
        return percent(candidate.avg_success_rate)

    @admin.display(description="Coherence", ordering="field_coherence")
    def coherence(self, candidate: EmergenceCandidate) -> str:
        return percent(candidate.field_coherence)

    @admin.display(description="Lift")
    def lift(self, candidate: EmergenceCandidate) -> str:
        value = getattr(candidate, "lift", None)
        return "—" if value is None else f"×{value:,.1f}"

    @admin.display(description="Context")
    def context(self, candidate: EmergenceCandidate) -> str:
        return " / ".join(part or "–" for part in (candidate.tier, candidate.element, candidate.realm))

    @admin.display(description="First seen", ordering="first_seen")
    def first_seen_on(self, candidate: EmergenceCandidate) -> str:
        return short_time(candidate.first_seen, date_only=True)

    @admin.display(description="Last seen", ordering="last_seen")
    def last_seen_on(self, candidate: EmergenceCandidate) -> str:
        return short_time(candidate.last_seen, date_only=True)

    def get_urls(self):
        mine = self.admin_site.admin_view(require_POST(self.mine_view))
        review = self.admin_site.admin_view(self.review_view)
        return [
            path("mine/", mine, name="skills_emergencecandidate_mine"),
            path("<path:object_id>/review/<str:action>/", review, name="skills_emergencecandidate_review"),
            *super().get_urls(),
        ]

    def mine_view(self, request):
        if not self.has_change_permission(request):
            raise PermissionDenied
        # A job (on the Celery worker when there is a broker): the run's page shows its progress.
        return queue_job(request, Job.MINE_EMERGENCE_FULL if request.POST.get("full") == "1" else Job.MINE_EMERGENCE)

    def review_view(self, request, object_id: str, action: str):
        """Approve / reject / deploy one candidate: refused at once when its status does not allow it,
        else a page saying what will happen and asking for a note; the POST calls the service."""
        review = REVIEWS.get(action)
        if review is None:
            raise Http404(f"No review action {action!r}.")
        candidate = self.get_object(request, unquote(object_id))
        if candidate is None:
            raise Http404("No such candidate.")
        if not self.has_change_permission(request, candidate):
            raise PermissionDenied
        page = reverse("admin:skills_emergencecandidate_change", args=[candidate.pk])
        refusal = candidate_transition_error(candidate, review.target)
        if refusal:
            self.message_user(request, refusal, messages.ERROR)
            return HttpResponseRedirect(page)
        deploying = review.target == CandidateStatus.DEPLOYED
        form = (DeployForm if deploying else NoteForm)(request.POST if request.method == "POST" else None)
        if form.is_valid():
            options = {"as_experiment": form.cleaned_data["as_experiment"]} if deploying else {}
            try:
                candidate = review.service(
                    candidate=candidate, reviewer=request.user, note=form.cleaned_data["note"], **options
                )
            except ValidationError as error:  # its status changed since the page was shown
                self.message_user(request, " ".join(error.messages), messages.ERROR)
                return HttpResponseRedirect(page)
            self.message_user(request, _done_message(review, candidate), messages.SUCCESS)
            return HttpResponseRedirect(page)
        context = {
            **self.admin_site.each_context(request),
            "title": f"{review.verb} candidate {candidate}",
            "opts": self.model._meta,
            "candidate": candidate,
            "review": review,
            "form": form,
            "composite": _composite_preview(candidate) if review.target == CandidateStatus.DEPLOYED else None,
        }
        return TemplateResponse(request, "admin/skills/emergencecandidate/confirm.html", context)


def _with_lift(candidates: list[EmergenceCandidate]) -> list[EmergenceCandidate]:
    lifts = candidate_lifts(candidates)
    for candidate in candidates:
        candidate.lift = lifts[candidate.pk]
    return candidates


BAR, GAP, CHART_HEIGHT = 22, 6, 72


def week_chart(weeks: list) -> dict | None:
    """Bars of an inline SVG (drawn by the server: a handful of rectangles needs no chart library)."""
    if not weeks:
        return None
    peak = max(n for _week, n in weeks) or 1
    bars = []
    for index, (week, n) in enumerate(weeks):
        height = round(CHART_HEIGHT * n / peak, 1) if n else 1
        bars.append({"x": index * (BAR + GAP), "y": CHART_HEIGHT - height, "w": BAR, "h": height, "week": week, "n": n})
    return {
        "bars": bars, "width": len(weeks) * (BAR + GAP) - GAP, "height": CHART_HEIGHT,
        "first": weeks[0][0], "last": weeks[-1][0], "peak": peak,
    }  # fmt: skip


def _composite_preview(candidate: EmergenceCandidate) -> dict:
    skill_id = composite_skill_id(candidate)
    return {
        "skill_id": skill_id,
        "exists": Skill.objects.filter(pk=skill_id).exists(),
        "tier": Tier.COMPOSITE.label,
        "trust_level": COMPOSITE_TRUST_LEVEL,
        "members": candidate.skills,
    }


def _done_message(review: Review, candidate: EmergenceCandidate) -> str:
    if candidate.deployed_skill_id and review.target == CandidateStatus.DEPLOYED:
        url = reverse("admin:skills_skill_change", args=[candidate.deployed_skill_id])
        template = 'Deployed candidate {} as the composite skill <a href="{}">{}</a>.'
        return format_html(template, candidate, url, candidate.deployed_skill_id)
    return f"{review.done} candidate {candidate}."
