"""The one list of skill names and versions agents reported that the registry does not hold:
staff map a name to a registered skill (the change page), register it, or dismiss it."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count

from ..ingestion.identity import UNNAMED_SKILL_ID
from ..models import Skill, UnregisteredSkill, UnregisteredStatus
from ..services.unregistered import (
    MAP_TARGET_REQUIRED,
    unregistered_skill_dismiss,
    unregistered_skill_map,
    unregistered_skill_register,
)
from .common import short_time

RELEASED = "{name}: {count} held event(s) entered the log."
ADVICE_UNNAMED = "No name sent: set OTEL_LOG_TOOL_DETAILS=1 on the agents (or install the hook)."
ADVICE_PLUGIN = "A plugin's skill: map it to a registered skill, or leave it apart."
ADVICE_VERSION = "Publish it (sync_skills) if it is real."
ADVICE_SKILL = "Register it, map it, or dismiss it."
DISMISSED = "Dismissed {count} name(s)."


class MapForm(forms.ModelForm):
    mapped_to = forms.ModelChoiceField(Skill.objects.all(), required=True, label="Counts for the registered skill")

    class Meta:
        model = UnregisteredSkill
        fields = ["mapped_to"]


@admin.register(UnregisteredSkill)
class UnregisteredSkillAdmin(admin.ModelAdmin):
    list_display = ["name", "version_shown", "plugin", "uses", "held", "status", "last", "advice"]
    list_filter = ["status"]
    search_fields = ["name", "plugin"]
    ordering = ["status", "-last_seen"]
    actions = ["register", "dismiss"]
    form = MapForm
    autocomplete_fields = ["mapped_to"]
    readonly_fields = ["name", "version", "plugin", "marketplace", "uses", "status", "first_seen", "last_seen"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("mapped_to").annotate(held_count=Count("held_events"))

    @admin.display(description="Version")
    def version_shown(self, unregistered: UnregisteredSkill) -> str:
        return unregistered.version or "—"

    @admin.display(description="What to do")
    def advice(self, unregistered: UnregisteredSkill) -> str:
        if unregistered.name.rsplit(":", 1)[-1] == UNNAMED_SKILL_ID:
            return ADVICE_UNNAMED
        if unregistered.version:
            return ADVICE_VERSION
        return ADVICE_PLUGIN if ":" in unregistered.name else ADVICE_SKILL

    @admin.display(description="Held events", ordering="held_count")
    def held(self, unregistered: UnregisteredSkill) -> int:
        return unregistered.held_count

    @admin.display(description="Last seen", ordering="last_seen")
    def last(self, unregistered: UnregisteredSkill) -> str:
        return short_time(unregistered.last_seen)

    def save_model(self, request, obj, form, change):
        # Mapping goes through the service (it releases the held events), never a bare save.
        target = form.cleaned_data.get("mapped_to")
        if target is None:
            raise ValidationError(MAP_TARGET_REQUIRED)
        count = unregistered_skill_map(
            unregistered=UnregisteredSkill.objects.get(pk=obj.pk), skill=target, by=request.user
        )
        messages.success(request, RELEASED.format(name=obj, count=count))

    @admin.action(description="Register the selected names as (disabled) skills")
    def register(self, request, queryset):
        for unregistered in queryset:
            try:
                count = unregistered_skill_register(unregistered=unregistered, by=request.user)
            except ValidationError as error:
                messages.error(request, f"{unregistered}: {' '.join(error.messages)}")
            else:
                messages.success(request, RELEASED.format(name=unregistered, count=count))

    @admin.action(description="Dismiss the selected names")
    def dismiss(self, request, queryset):
        done = 0
        for unregistered in queryset.filter(status=UnregisteredStatus.PENDING):
            unregistered_skill_dismiss(unregistered=unregistered, by=request.user)
            done += 1
        messages.success(request, DISMISSED.format(count=done))
