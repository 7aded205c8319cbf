"""Skills with versions inline (rollback) and metrics on the page; unlocks granted and revoked in bulk."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AutocompleteSelectMultiple
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.views.decorators.http import require_POST

from skills.models import Skill, SkillMetrics, SkillUnlock, SkillVersion, Tier
from skills.services import skill_unlock_grant, skill_unlock_revoke, skill_version_rollback

from .regressions import RegressionFilter, regression_context


class SkillVersionInline(admin.TabularInline):
    model = SkillVersion
    extra = 0
    fields = ["version", "current", "sha256", "changelog", "created_at", "created_by", "rollback"]
    readonly_fields = fields
    can_delete = False
    ordering = ["-created_at", "-id"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="Current", boolean=True)
    def current(self, version: SkillVersion) -> bool:
        return version.is_current

    @admin.display(description="")
    def rollback(self, version: SkillVersion) -> str:
        if version.is_current:
            return "current version"
        url = reverse("admin:skills_skill_rollback", args=[version.skill_id, version.pk])
        # formaction: the inline lives inside the change form, which cannot hold another form.
        return format_html(
            '<button type="submit" class="button" formaction="{}">Roll back to {}</button>', url, version.version
        )


def _metrics_html(metrics: SkillMetrics | None) -> str:
    if metrics is None or not metrics.total_invocations:
        return "No usage yet."
    errors = sorted(metrics.error_types.items(), key=lambda item: -item[1])[:5]

    def figure(value, suffix=""):
        return "—" if value is None else f"{value:,.1f}{suffix}"

    rows = [
        ("Invocations", f"{metrics.total_invocations:,}"),
        ("Completion rate", figure(metrics.completion_rate, " %")),
        (
            "Latency p50 / p95 / p99",
            f"{figure(metrics.p50_ms)} / {figure(metrics.p95_ms)} / {figure(metrics.p99_ms)} ms",
        ),
        ("Average rating", figure(metrics.avg_rating)),
        ("Unique users", f"{metrics.unique_users:,}"),
        ("Effectiveness", figure(metrics.effectiveness_score)),
        ("Top errors", ", ".join(f"{name} ({count})" for name, count in errors) or "none"),
    ]
    return format_html("<table>{}</table>", format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", rows))


@admin.register(Skill)
class SkillAdmin(admin.ModelAdmin):
    list_display = ["skill_id", "display_name", "tier", "category", "trust_level", "enabled", "updated_at"]
    list_filter = ["enabled", "tier", "category", "trust_level", RegressionFilter]
    search_fields = ["skill_id", "display_name", "description"]
    readonly_fields = ["metrics_summary", "sha256", "source_path", "created_at", "updated_at"]
    inlines = [SkillVersionInline]
    change_form_template = "admin/skills/skill/change_form.html"  # the version-regression banner

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), **regression_context(object_id)}
        return super().change_view(request, object_id, form_url, extra_context)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("metrics")

    @admin.display(description="Metrics")
    def metrics_summary(self, skill: Skill) -> str:
        return _metrics_html(getattr(skill, "metrics", None) if skill.pk and hasattr(skill, "metrics") else None)

    def get_urls(self):
        view = self.admin_site.admin_view(require_POST(self.rollback_view))
        return [
            path("<path:skill_id>/rollback/<int:version_id>/", view, name="skills_skill_rollback"),
            *super().get_urls(),
        ]

    def rollback_view(self, request, skill_id: str, version_id: int):
        if not self.has_change_permission(request):
            raise PermissionDenied
        version = get_object_or_404(SkillVersion, pk=version_id, skill_id=skill_id)
        try:
            skill_version_rollback(skill=version.skill, version=version.version)
            self.message_user(request, f"{skill_id} rolled back: version {version.version} is current.")
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
        return HttpResponseRedirect(reverse("admin:skills_skill_change", args=[skill_id]))


@admin.register(SkillVersion)
class SkillVersionAdmin(admin.ModelAdmin):
    list_display = ["skill", "version", "is_current", "created_at", "created_by"]
    list_filter = ["is_current"]
    search_fields = ["skill__skill_id", "version", "changelog"]
    list_select_related = ["skill", "created_by"]
    raw_id_fields = ["skill", "created_by"]
    readonly_fields = ["sha256", "is_current", "created_at"]
    actions = ["make_current"]

    @admin.action(description="Roll back: make the selected version current")
    def make_current(self, request, queryset):
        for version in queryset.select_related("skill"):
            skill_version_rollback(skill=version.skill, version=version.version)
            self.message_user(request, f"{version.skill_id}: version {version.version} is current.")


def _autocomplete(field_name: str) -> AutocompleteSelectMultiple:
    # Search-as-you-type through the admin's autocomplete view: the page never lists every user.
    return AutocompleteSelectMultiple(SkillUnlock._meta.get_field(field_name), admin.site)


class BulkUnlockForm(forms.Form):
    users = forms.ModelMultipleChoiceField(
        queryset=get_user_model().objects.order_by("username"), widget=_autocomplete("user")
    )
    skills = forms.ModelMultipleChoiceField(
        queryset=Skill.objects.exclude(tier=Tier.FOUNDATIONAL),
        widget=_autocomplete("skill"),
        help_text="Foundational skills are refused: they are always unlocked.",
    )
    reason = forms.CharField(max_length=500)
    operation = forms.ChoiceField(choices=[("grant", "Grant (unlock)"), ("revoke", "Revoke (lock)")])


@transaction.atomic
def _apply_bulk(data: dict, admin_user) -> int:
    """Every (user, skill) pair through the registry service, all or nothing; returns the rows changed
    (revoking a skill the user never had changes nothing)."""
    grant, changed = data["operation"] == "grant", 0
    for user in data["users"]:
        for skill in data["skills"]:
            if grant:
                changed += bool(
                    skill_unlock_grant(user=user, skill=skill, reason=data["reason"], granted_by=admin_user)
                )
            else:
                changed += bool(
                    skill_unlock_revoke(user=user, skill=skill, reason=data["reason"], revoked_by=admin_user)
                )
    return changed


@admin.register(SkillUnlock)
class SkillUnlockAdmin(admin.ModelAdmin):
    list_display = ["user", "skill", "state", "unlocked_at", "unlock_reason", "granted_by"]
    list_filter = ["unlocked", "skill", "user", "skill__tier"]
    search_fields = ["user__username", "skill__skill_id", "unlock_reason"]
    list_select_related = ["user", "skill", "granted_by"]
    raw_id_fields = ["user", "skill", "granted_by"]
    change_list_template = "admin/skills/skillunlock/change_list.html"

    @admin.display(description="State")
    def state(self, unlock: SkillUnlock) -> str:
        if unlock.skill.tier == Tier.FOUNDATIONAL:
            return "always unlocked (foundational)"
        return "unlocked" if unlock.unlocked else "locked"

    def get_urls(self):
        view = self.admin_site.admin_view(self.bulk_view)
        return [path("bulk/", view, name="skills_skillunlock_bulk"), *super().get_urls()]

    def bulk_view(self, request):
        if not self.has_change_permission(request):
            raise PermissionDenied
        form = BulkUnlockForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            count = _apply_bulk(form.cleaned_data, request.user)
            verb = "Granted" if form.cleaned_data["operation"] == "grant" else "Revoked"
            self.message_user(request, f"{verb} {count} unlock(s): {form.cleaned_data['reason']}")
            return HttpResponseRedirect(reverse("admin:skills_skillunlock_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "title": "Grant or revoke unlocks in bulk",
            "form": form,
            "opts": self.model._meta,
            "foundational": Skill.objects.filter(tier=Tier.FOUNDATIONAL).values_list("skill_id", flat=True),
        }
        return TemplateResponse(request, "admin/skills/skillunlock/bulk.html", context)
