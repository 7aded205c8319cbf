"""Skills with versions inline (rollback) and metrics on the page; unlocks granted and revoked in bulk.
The versions' own list and pages are in versions.py."""

from __future__ import annotations

from functools import partial

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AutocompleteSelectMultiple
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from ..models import Skill, SkillMetrics, SkillUnlock, SkillVersion, Tier
from ..selectors.registry import (
    free_text_counts,
    rollback_comparison,
    version_diff,
    version_files,
    versions_with_files,
    versions_with_usage,
)
from ..selectors.skill_health import Health, with_health
from ..services.registry import skill_id_validate, skill_unlock_grant, skill_unlock_revoke, skill_version_rollback
from .common import short_sha, short_time, truncated
from .experiment_history import experiments_history
from .regressions import RegressionFilter, regression_context
from .versions import (
    FindingsColumn,
    VersionColumns,
    VersionFilesColumn,
    acknowledge_view,
    compare_view,
    comparison_rows,
    files_table,
)

# Messages start with a word, not the skill id: the admin capitalises a message's first letter.
ROLLED_BACK = "Rolled back {skill}: version {version} is current."
ALREADY_CURRENT = "Nothing to roll back: version {version} of {skill} is already current."
USERS_PLACEHOLDER = "Search users by name or email"
SKILLS_PLACEHOLDER = "Search skills"


class SkillVersionInline(VersionColumns, VersionFilesColumn, FindingsColumn, admin.TabularInline):
    model = SkillVersion
    extra = 0
    # The rollback button right after the version: on a phone the table scrolls sideways, and the
    # action must be on the first screen.
    fields = ["version", "rollback", "is_current", "sha", "files_summary", "scan", "created", "author",
              "changelog_text", "uses", "version_success"]  # fmt: skip
    readonly_fields = fields
    can_delete = False
    ordering = ["-created_at", "-id"]

    def get_queryset(self, request):
        return versions_with_files(versions_with_usage(super().get_queryset(request).select_related("created_by")))

    def has_add_permission(self, request, obj=None) -> bool:
        return False


def _metrics_html(metrics: SkillMetrics | None) -> str:
    if metrics is None or not metrics.total_invocations:
        return "No usage yet."
    errors = list(free_text_counts(metrics.error_types, staff=True).items())[:5]  # the admin is for staff

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


class HealthFilter(admin.SimpleListFilter):
    title = "health"
    parameter_name = "health"

    def lookups(self, request, model_admin):
        return Health.choices

    def queryset(self, request, queryset):
        return queryset.filter(health_status=self.value()) if self.value() else queryset


@admin.register(Skill)
class SkillAdmin(admin.ModelAdmin):
    list_display = ["skill_id", "health", "display_name", "tier", "category", "trust_level", "enabled", "updated_at"]
    list_filter = ["enabled", HealthFilter, RegressionFilter, "tier", "category", "trust_level"]
    search_fields = ["skill_id", "display_name", "description"]
    fields = ["skill_id", "display_name", "description", "enabled", "tier", "category", "trust_level", "meta",
              "metrics_summary", "experiments", "current_files", "sha", "source_path", "created_at",
              "updated_at"]  # fmt: skip
    readonly_fields = ["metrics_summary", "experiments", "current_files", "sha", "source_path", "created_at",
                       "updated_at"]  # fmt: skip
    inlines = [SkillVersionInline]
    change_form_template = "admin/skills/skill/change_form.html"  # the version-regression banner

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), **regression_context(object_id)}
        return super().change_view(request, object_id, form_url, extra_context)

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("metrics")
        # Health is a list column and filter: computed for the list only (3 queries), not for a skill's page.
        if request.resolver_match and request.resolver_match.url_name == "skills_skill_changelist":
            return with_health(queryset)
        return queryset

    @admin.display(description="Health", ordering="health_status")
    def health(self, skill: Skill) -> str:
        return Health(skill.health_status).label

    @admin.display(description="Metrics")
    def metrics_summary(self, skill: Skill) -> str:
        return _metrics_html(getattr(skill, "metrics", None) if skill.pk and hasattr(skill, "metrics") else None)

    @admin.display(description="sha256")
    def sha(self, skill: Skill) -> str:
        return short_sha(skill.sha256)

    @admin.display(description="Experiments")
    def experiments(self, skill: Skill) -> str:
        return experiments_history(skill) if skill.pk else "—"

    @admin.display(description="Current version's files")
    def current_files(self, skill: Skill) -> str:
        current = skill.versions.filter(is_current=True).first() if skill.pk else None
        return files_table(current, version_files(current)) if current else "No version is current."

    def get_urls(self):
        view = self.admin_site.admin_view(self.rollback_view)
        acknowledge = self.admin_site.admin_view(partial(acknowledge_view, self))
        compare = self.admin_site.admin_view(partial(compare_view, self))
        return [
            path("<path:skill_id>/rollback/<int:version_id>/", view, name="skills_skill_rollback"),
            path("<path:skill_id>/acknowledge/<int:version_id>/", acknowledge, name="skills_skill_acknowledge"),
            path("<path:skill_id>/compare/", compare, name="skills_skill_compare"),
            *super().get_urls(),
        ]

    def rollback_view(self, request, skill_id: str, version_id: int):
        """Shows the diff from the current version's SKILL.md to the chosen one; the POST rolls back."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        version = get_object_or_404(SkillVersion.objects.select_related("skill"), pk=version_id, skill_id=skill_id)
        page = reverse("admin:skills_skill_change", args=[skill_id])
        if version.is_current:
            self.message_user(request, ALREADY_CURRENT.format(skill=skill_id, version=version.version), messages.INFO)
            return HttpResponseRedirect(page)
        if request.method == "POST":
            try:
                skill_version_rollback(skill=version.skill, version=version.version)
                self.message_user(request, ROLLED_BACK.format(skill=skill_id, version=version.version))
            except ValidationError as error:
                self.message_user(request, " ".join(error.messages), messages.ERROR)
            return HttpResponseRedirect(page)
        current = version.skill.versions.filter(is_current=True).first()
        comparison = rollback_comparison(version)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Roll back {skill_id} to version {version.version}",
            "opts": self.model._meta,
            "skill": version.skill,
            "version": version,
            "current": current,
            "comparison": comparison,
            "comparison_rows": comparison_rows(comparison),
            "diff": version_diff(current, version) if current else [],
        }
        return TemplateResponse(request, "admin/skills/skill/rollback.html", context)


class SearchSelectMultiple(AutocompleteSelectMultiple):
    """The admin's search-as-you-type picker, saying what to type."""

    def __init__(self, field, admin_site, placeholder: str):
        super().__init__(field, admin_site)
        self.placeholder = placeholder

    def build_attrs(self, base_attrs, extra_attrs=None):
        attrs = super().build_attrs(base_attrs, extra_attrs)
        attrs["data-placeholder"] = self.placeholder  # the admin sets "" (select2 shows nothing)
        return attrs


def _autocomplete(field_name: str, placeholder: str) -> SearchSelectMultiple:
    # Search-as-you-type through the admin's autocomplete view: the page never lists every user.
    return SearchSelectMultiple(SkillUnlock._meta.get_field(field_name), admin.site, placeholder)


PENDING_STATE = "pending (until registered)"
PENDING_REVOKED_STATE = "pending, revoked"
NO_SKILLS_CHOSEN = "Choose a skill, or name one not registered yet."
PENDING_REGISTERED = "{skill} is registered: choose it in Skills."


class BulkUnlockForm(forms.Form):
    users = forms.ModelMultipleChoiceField(
        queryset=get_user_model().objects.order_by("username"), widget=_autocomplete("user", USERS_PLACEHOLDER)
    )
    skills = forms.ModelMultipleChoiceField(
        queryset=Skill.objects.exclude(tier=Tier.FOUNDATIONAL),
        widget=_autocomplete("skill", SKILLS_PLACEHOLDER),
        required=False,
        help_text="Foundational skills are refused: they are always unlocked.",
    )
    pending_skill_ids = forms.CharField(
        required=False,
        label="Skills not registered yet",
        help_text="Skill ids, comma-separated: each unlock is pending and takes effect when the skill is registered.",
    )
    reason = forms.CharField(max_length=500)
    operation = forms.ChoiceField(choices=[("grant", "Grant (unlock)"), ("revoke", "Revoke (lock)")])

    def clean_pending_skill_ids(self) -> list[str]:
        skill_ids = [part.strip() for part in self.cleaned_data["pending_skill_ids"].split(",") if part.strip()]
        for skill_id in skill_ids:
            try:
                skill_id_validate(skill_id)
            except ValidationError as error:
                raise ValidationError(f"{skill_id}: {error.message_dict['skill_id'][0]}") from error
        registered = Skill.objects.filter(pk__in=skill_ids).values_list("pk", flat=True).first()
        if registered:
            raise ValidationError(PENDING_REGISTERED.format(skill=registered))
        return list(dict.fromkeys(skill_ids))

    def clean(self) -> dict:
        data = super().clean()
        if not data.get("skills") and not data.get("pending_skill_ids") and not self.errors:
            raise ValidationError(NO_SKILLS_CHOSEN)
        return data


@transaction.atomic
def _apply_bulk(data: dict, admin_user) -> int:
    """Every (user, skill) pair through the registry service, all or nothing; returns the rows changed
    (revoking a skill the user never had changes nothing)."""
    grant, changed = data["operation"] == "grant", 0
    skill_ids = [skill.skill_id for skill in data["skills"]] + data["pending_skill_ids"]
    for user in data["users"]:
        for skill_id in skill_ids:
            if grant:
                changed += bool(
                    skill_unlock_grant(user=user, skill_id=skill_id, reason=data["reason"], granted_by=admin_user)
                )
            else:
                changed += bool(
                    skill_unlock_revoke(user=user, skill_id=skill_id, reason=data["reason"], revoked_by=admin_user)
                )
    return changed


class RegistrationFilter(admin.SimpleListFilter):
    title = "skill registered"
    parameter_name = "registered"

    def lookups(self, request, model_admin):
        return [("yes", "Registered"), ("no", "Pending (not registered yet)")]

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.pending()
        if self.value() == "yes":
            return queryset.registered()
        return queryset


@admin.register(SkillUnlock)
class SkillUnlockAdmin(admin.ModelAdmin):
    list_display = ["user", "skill_name", "state", "unlocked_on", "reason", "granted_by"]
    # No filter by user: it would list every account; the search finds a user by name.
    list_filter = ["unlocked", RegistrationFilter, "skill__tier", "skill"]
    search_fields = ["user__username", "skill__skill_id", "unlock_reason"]
    # Not the skill: a join would drop the pending unlocks (their skill is not registered yet).
    list_select_related = ["user", "granted_by"]
    raw_id_fields = ["user", "skill", "granted_by"]
    change_list_template = "admin/skills/skillunlock/change_list.html"

    def get_queryset(self, request):
        tier = Skill.objects.filter(pk=OuterRef("skill_id")).values("tier")
        return super().get_queryset(request).annotate(skill_tier=Subquery(tier))

    def get_fields(self, request, obj=None):
        if obj is None:
            return super().get_fields(request, obj)
        return ["user", "skill_name", "unlocked", "unlocked_at", "unlock_reason", "granted_by"]

    def get_readonly_fields(self, request, obj=None):
        # A pending unlock's skill is no row the form could choose: the id is shown, not edited.
        return ["skill_name"] if obj else []

    @admin.display(description="Skill", ordering="skill_id")
    def skill_name(self, unlock: SkillUnlock) -> str:
        return unlock.skill_id

    @admin.display(description="Unlocked at", ordering="unlocked_at")
    def unlocked_on(self, unlock: SkillUnlock) -> str:
        return short_time(unlock.unlocked_at)

    @admin.display(description="Reason", ordering="unlock_reason")
    def reason(self, unlock: SkillUnlock) -> str:
        return truncated(unlock.unlock_reason, 40)

    @admin.display(description="State")
    def state(self, unlock: SkillUnlock) -> str:
        tier = getattr(unlock, "skill_tier", None)
        if tier is None:
            return PENDING_STATE if unlock.unlocked else PENDING_REVOKED_STATE
        if tier == Tier.FOUNDATIONAL:
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
