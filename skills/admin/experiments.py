"""Experiments in the admin: create (a draft, whose plan is read before starting), start, watch
(the arms side by side, the verdict, the guardrails, a chart of each treatment's difference over
time drawn by the server), promote and stop. Every button calls a service."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse

from ..models import Experiment, ExperimentArm, ExperimentStatus, Metric, Skill, SkillVersion, validate_semver
from ..selectors.experiment_results import experiment_results
from ..selectors.experiments import with_arms
from ..services.experiments import (
    experiment_breach_acknowledge,
    experiment_create,
    experiment_promote,
    experiment_snapshot_take,
    experiment_start,
    experiment_stop,
)
from ..services.registry import skill_version_publish
from .common import short_time
from .registry import SearchSelectMultiple

NO_TREATMENT_CHOSEN = "Choose a version to try, or paste a new one."
NEW_VERSION_NEEDS_BOTH = "A new version needs both its number and its SKILL.md."
VERSION_TAKEN = "{skill} already has a version {version}: choose it above."
CREATED = "Created the draft experiment: read its plan, then start it."
STARTED = "Started: users are being assigned."
PROMOTED = "Promoted {version}: it is current for everyone."
STOPPED = "Stopped: everyone is back on {version}."
SNAPSHOT = "Snapshot taken."
SNAPSHOT_STOPPED = "A guardrail was breached: the experiment is stopped and staff were emailed."
GUARD_FIELDS = {metric: f"guard_{metric}" for metric in Metric.values}
UNITS = {
    Metric.SUCCESS_RATE: "percentage points of success",
    Metric.LATENCY_P95: "percentage points of uses slower than control's p95",
    Metric.TOKENS: "tokens per use",
    Metric.COST: "USD per use",
}


def figure(metric: str, value: float | None) -> str:
    if value is None:
        return "—"
    if metric == Metric.SUCCESS_RATE:
        return f"{100 * value:.1f} %"
    if metric == Metric.LATENCY_P95:
        return f"{value:,.0f} ms"
    if metric == Metric.COST:
        return f"${value:,.4f}"
    return f"{value:,.1f}"


def change(metric: str, value: float | None) -> str:
    """A difference to control: success and the latency share in percentage points."""
    if value is None:
        return "—"
    if metric in (Metric.SUCCESS_RATE, Metric.LATENCY_P95):
        return f"{100 * value:+.1f} pp"
    return f"{value:+,.4f}" if metric == Metric.COST else f"{value:+,.1f}"


class ExperimentForm(forms.Form):
    name = forms.CharField(max_length=200)
    treatments = forms.ModelMultipleChoiceField(
        queryset=SkillVersion.objects.none(), widget=forms.CheckboxSelectMultiple, required=False,
        label="Versions to try", help_text="Versions of the skill other than the current one.",
    )  # fmt: skip
    new_version = forms.CharField(max_length=64, required=False, label="Or a new version: its number")
    new_content = forms.CharField(widget=forms.Textarea(attrs={"rows": 6}), required=False, label="Its SKILL.md")
    share_percent = forms.FloatField(
        min_value=0.01, max_value=99.99, initial=10, label="Share of users per version tried (%)"
    )
    primary_metric = forms.ChoiceField(choices=Metric.choices, initial=Metric.SUCCESS_RATE)
    min_effect_percent = forms.FloatField(
        initial=10, label="Smallest change worth detecting (% of control)", help_text="Smaller needs more uses."
    )
    alpha = forms.FloatField(initial=0.05, label="α (false positives, all versions together)")
    power = forms.FloatField(initial=0.8)
    exclude_staff = forms.BooleanField(required=False, initial=True, label="Keep staff on the control")

    def __init__(self, *args, skill: Skill, **kwargs):
        super().__init__(*args, **kwargs)
        self.skill = skill
        self.fields["treatments"].queryset = skill.versions.filter(is_current=False).order_by("-created_at")
        field = Experiment._meta.get_field("excluded_users")
        self.fields["excluded_users"] = forms.ModelMultipleChoiceField(
            queryset=field.remote_field.model.objects.order_by("username"), required=False,
            widget=SearchSelectMultiple(field, admin.site, "Search users"), label="Users kept on the control",
        )  # fmt: skip
        for metric, name in GUARD_FIELDS.items():
            self.fields[name] = forms.FloatField(
                required=False, min_value=0.01, label=f"Guardrail: {Metric(metric).label}, worst change allowed (%)"
            )

    def clean(self) -> dict:
        data = super().clean()
        new_version, new_content = data.get("new_version"), data.get("new_content")
        if bool(new_version) != bool(new_content):
            self.add_error("new_version", NEW_VERSION_NEEDS_BOTH)
        elif new_version:
            try:
                validate_semver(new_version)
            except ValidationError as error:
                self.add_error("new_version", error)
            if self.skill.versions.filter(version=new_version).exists():
                self.add_error("new_version", VERSION_TAKEN.format(skill=self.skill.skill_id, version=new_version))
        elif not data.get("treatments") and "treatments" not in self.errors:
            self.add_error("treatments", NO_TREATMENT_CHOSEN)
        return data

    def guardrails(self) -> dict[str, float]:
        values = {metric: self.cleaned_data.get(name) for metric, name in GUARD_FIELDS.items()}
        return {metric: value / 100 for metric, value in values.items() if value is not None}


# Service errors, by the field they name, to the form's field that asked for it.
SERVICE_FIELDS = {"min_effect": "min_effect_percent", "alpha": "alpha", "power": "power", "treatments": "treatments"}


@transaction.atomic
def create_from_form(form: ExperimentForm, user) -> Experiment:
    data = form.cleaned_data
    versions = list(data["treatments"])
    if data["new_version"]:
        versions.append(
            skill_version_publish(skill=form.skill, version=data["new_version"], content=data["new_content"],
                                  changelog="Published for an experiment", created_by=user, make_current=False)
        )  # fmt: skip
    share = round(data["share_percent"] * 100)
    return experiment_create(
        skill=form.skill, name=data["name"], treatments=[(version, share) for version in versions],
        primary_metric=data["primary_metric"], min_effect=data["min_effect_percent"] / 100, alpha=data["alpha"],
        power=data["power"], guardrails=form.guardrails(), exclude_staff=data["exclude_staff"],
        excluded_users=data["excluded_users"], created_by=user,
    )  # fmt: skip


CHART_W, CHART_H, PAD = 640, 220, 36
SERIES_COLOURS = ["#0b5cad", "#9a6700", "#6639ba"]


def difference_chart(points: list[dict], metric: str) -> dict | None:
    """Each treatment's difference to control over time with its 95 % interval as a band: an inline
    SVG drawn by the server (lines and polygons need no chart library). `points` are results dicts."""
    series: dict[str, list[tuple[int, dict]]] = {}
    for index, results in enumerate(points):
        for arm in results["arms"][1:]:
            found = arm.get("differences", {}).get(metric) or {}
            if found.get("value") is not None:
                series.setdefault(arm["label"], []).append((index, found))
    if not series:
        return None
    values = [v for rows in series.values() for _i, d in rows for v in (d["low"], d["high"], d["value"])] + [0.0]
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    last = max(len(points) - 1, 1)

    def x(index: int) -> float:
        return round(PAD + (CHART_W - 2 * PAD) * index / last, 1)

    def y(value: float) -> float:
        return round(CHART_H - PAD - (CHART_H - 2 * PAD) * (value - low) / span, 1)

    drawn = []
    for colour, (label, rows) in zip(SERIES_COLOURS, sorted(series.items()), strict=False):
        upper = [f"{x(i)},{y(d['high'])}" for i, d in rows]
        lower = [f"{x(i)},{y(d['low'])}" for i, d in reversed(rows)]
        drawn.append({
            "label": label, "colour": colour, "band": " ".join(upper + lower),
            "line": " ".join(f"{x(i)},{y(d['value'])}" for i, d in rows),
            "last": change(metric, rows[-1][1]["value"]),
        })  # fmt: skip
    return {
        "width": CHART_W, "height": CHART_H, "series": drawn, "zero": y(0.0), "left": PAD, "right": CHART_W - PAD,
        "top_label": change(metric, high), "bottom_label": change(metric, low), "unit": UNITS[metric],
        "first": points[0]["taken_at"][:16].replace("T", " "), "last": points[-1]["taken_at"][:16].replace("T", " "),
    }  # fmt: skip


def arm_rows(results: dict, primary: str) -> list[dict]:
    """The watch page's table: a row a metric, a column an arm."""
    rows = []
    for metric in [primary, *[m for m in Metric.values if m != primary]]:
        cells = []
        for arm in results["arms"]:
            shown = arm["metrics"][metric]
            cell = {"value": figure(metric, shown["value"]), "low": figure(metric, shown["low"]),
                    "high": figure(metric, shown["high"])}  # fmt: skip
            found = arm.get("differences", {}).get(metric)
            if found:
                cell["difference"] = change(metric, found["value"])
                cell["interval"] = f"{change(metric, found['low'])} to {change(metric, found['high'])}"
            cells.append(cell)
        rows.append({"label": Metric(metric).label, "primary": metric == primary, "cells": cells})
    return rows


@admin.register(Experiment)
class ExperimentAdmin(admin.ModelAdmin):
    list_display = ["name", "skill", "status", "arms_summary", "planned_uses", "started", "ended"]
    list_filter = ["status", "primary_metric"]
    search_fields = ["name", "skill__skill_id"]
    list_select_related = ["skill"]
    change_list_template = "admin/skills/experiment/change_list.html"  # the breach banner

    def get_queryset(self, request):
        return with_arms(super().get_queryset(request))

    @admin.display(description="Arms")
    def arms_summary(self, experiment: Experiment) -> str:
        return ", ".join(f"{arm.version.version} {arm.share / 100:g} %" for arm in experiment.arms.all())

    @admin.display(description="Started", ordering="started_at")
    def started(self, experiment: Experiment) -> str:
        return short_time(experiment.started_at)

    @admin.display(description="Ended", ordering="ended_at")
    def ended(self, experiment: Experiment) -> str:
        return short_time(experiment.ended_at)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # the history of decisions is kept

    def get_urls(self):
        def route(suffix: str, view, name: str):
            return path(f"<int:experiment_id>/{suffix}", self.admin_site.admin_view(view), name=name)

        return [
            route("start/", self.start_view, "skills_experiment_start"),
            route("promote/<int:arm_id>/", self.promote_view, "skills_experiment_promote"),
            route("stop/", self.stop_view, "skills_experiment_stop"),
            route("snapshot/", self.snapshot_view, "skills_experiment_snapshot"),
            route("acknowledge/", self.acknowledge_view, "skills_experiment_acknowledge"),
            *super().get_urls(),
        ]

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        skill = Skill.objects.filter(pk=request.GET.get("skill") or None).first()
        form = None
        if skill is not None:
            form = ExperimentForm(request.POST or None, skill=skill)
            if request.method == "POST" and form.is_valid():
                try:
                    experiment = create_from_form(form, request.user)
                except ValidationError as error:
                    for field, problems in error.message_dict.items():
                        form.add_error(SERVICE_FIELDS.get(field), problems)
                else:
                    self.message_user(request, CREATED)
                    return HttpResponseRedirect(reverse("admin:skills_experiment_change", args=[experiment.pk]))
        context = {
            **self.admin_site.each_context(request), "opts": self.model._meta, "title": "Try a new version",
            "skill": skill, "form": form, "skills": Skill.objects.filter(versions__is_current=True).order_by("pk"),
        }  # fmt: skip
        return TemplateResponse(request, "admin/skills/experiment/add.html", context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The watch page (nothing on it is edited by hand: the buttons call the services)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        queryset = with_arms(Experiment.objects.select_related("skill", "decided_by", "created_by"))
        experiment = get_object_or_404(queryset.prefetch_related("guardrails"), pk=object_id)
        results = experiment_results(experiment) if experiment.started_at else None
        points = [s.results for s in experiment.snapshots.order_by("taken_at")]
        if results and experiment.status == ExperimentStatus.RUNNING:
            points.append(results)
        context = {
            **self.admin_site.each_context(request), "opts": self.model._meta, "title": experiment.name,
            "experiment": experiment, "arms": list(experiment.arms.all()), "results": results,
            "rows": arm_rows(results, experiment.primary_metric) if results else [],
            "chart": difference_chart(points, experiment.primary_metric),
            "baseline": figure(experiment.primary_metric, experiment.baseline),
            "may_change": self.has_change_permission(request, experiment),
        }  # fmt: skip
        return TemplateResponse(request, "admin/skills/experiment/watch.html", context)

    def _act(self, request, experiment_id: int, act) -> HttpResponseRedirect:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        experiment = get_object_or_404(Experiment, pk=experiment_id)
        if not self.has_change_permission(request, experiment):
            raise PermissionDenied
        try:
            message = act(experiment)
            self.message_user(request, message)
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
        return HttpResponseRedirect(reverse("admin:skills_experiment_change", args=[experiment_id]))

    def start_view(self, request, experiment_id: int):
        return self._act(request, experiment_id, lambda e: experiment_start(experiment=e, started_by=request.user)
                         and STARTED)  # fmt: skip

    def promote_view(self, request, experiment_id: int, arm_id: int):
        def promote(experiment: Experiment) -> str:
            arm = get_object_or_404(ExperimentArm.objects.select_related("version"), pk=arm_id)
            reason = request.POST.get("reason", "")[:1000]
            experiment_promote(experiment=experiment, arm=arm, decided_by=request.user, reason=reason)
            return PROMOTED.format(version=arm.version.version)

        return self._act(request, experiment_id, promote)

    def stop_view(self, request, experiment_id: int):
        def stop(experiment: Experiment) -> str:
            stopped = experiment_stop(experiment=experiment, decided_by=request.user,
                                      reason=request.POST.get("reason", "")[:1000])  # fmt: skip
            return STOPPED.format(
                version=with_arms(Experiment.objects).get(pk=stopped.pk).arms.all()[0].version.version
            )

        return self._act(request, experiment_id, stop)

    def snapshot_view(self, request, experiment_id: int):
        def snapshot(experiment: Experiment) -> str:
            taken = experiment_snapshot_take(experiment=experiment)
            return SNAPSHOT_STOPPED if taken.experiment.status == ExperimentStatus.BREACHED else SNAPSHOT

        return self._act(request, experiment_id, snapshot)

    def acknowledge_view(self, request, experiment_id: int):
        return self._act(request, experiment_id, lambda e: experiment_breach_acknowledge(experiment=e) or "Noted.")
