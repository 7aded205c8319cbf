"""The metrics dashboard: an admin page, charts drawn by Chart.js from local static files."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlencode

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import reverse

from skills.selectors.dashboard import DashboardFilter, dashboard_data, skill_choices
from skills.selectors.skill_costs import skill_costs
from skillsite.routers import replica_reads

RANGE_BACKWARDS = "The start must be on or before the end."
RANGE_TOO_LONG = "Choose at most 366 days."
# (label, days, hover text). The roll-up counts whole UTC days, so a range is named by its days:
# a "24 h" button drew yesterday and today, two days, which is not what it said.
QUICK_RANGES = [
    ("Today", 1, "Today so far (a UTC day: the roll-up counts whole days)"),
    ("7 d", 7, "The last 7 days, today included"),
    ("30 d", 30, "The last 30 days, today included"),
    ("90 d", 90, "The last 90 days, today included"),
]


class DashboardForm(forms.Form):
    start = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    skill = forms.ChoiceField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["skill"].choices = skill_choices()

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if isinstance(start, date) and isinstance(end, date):
            if start > end:
                self.add_error("start", RANGE_BACKWARDS)
            elif (end - start).days > 366:
                self.add_error("start", RANGE_TOO_LONG)
        return data


def dashboard_view(request):
    """Served under /admin/ (see skillsite/urls.py), for staff only through admin_view, and
    only to those who may view the daily roll-up it draws. An invalid range shows its error and no charts."""
    if not request.user.has_perm("skills.view_skilldailyusage"):
        raise PermissionDenied
    default = DashboardFilter.default()
    form = DashboardForm(request.GET or {"start": default.start, "end": default.end, "skill": ""})
    filters = data = None
    if form.is_valid():
        filters = DashboardFilter(form.cleaned_data["start"], form.cleaned_data["end"], form.cleaned_data["skill"])
        with replica_reads():  # the replica when there is one (skillsite/routers.py)
            data = dashboard_data(filters)
        data["links"] = event_links(data, filters)
    costs = skill_costs(data["skills"], since=datetime.combine(filters.start, time.min, tzinfo=UTC)) if data else {}
    context = {
        "skill_costs": [{"skill_id": skill_id, "cost": cost} for skill_id, cost in sorted(costs.items())],
        **admin.site.each_context(request),
        "title": "Metrics dashboard",
        "form": form,
        "data": data,
        "filters": filters,
        "quick_ranges": quick_ranges(filters, request.GET.get("skill", "")),
    }
    return TemplateResponse(request, "admin/skills/dashboard.html", context)


def quick_ranges(current: DashboardFilter | None, skill_id: str) -> list[dict]:
    ranges = []
    for label, days, hint in QUICK_RANGES:
        period = DashboardFilter.last(days, skill_id)
        query = urlencode({"start": period.start, "end": period.end, "skill": skill_id})
        selected = current is not None and (current.start, current.end) == (period.start, period.end)
        ranges.append({"label": label, "hint": hint, "query": query, "selected": selected})
    return ranges


def event_links(data: dict, filters: DashboardFilter) -> dict:
    """Where a click on a bar leads: the usage-event list filtered to that skill (or error type, or
    workflow path) and to the range's days; a usage-per-day bar, to that day's events of its outcome."""
    events = reverse("admin:skills_usageevent_changelist")
    since = datetime.combine(filters.start, time.min, tzinfo=UTC)
    until = datetime.combine(filters.end + timedelta(days=1), time.min, tzinfo=UTC)
    window = {"occurred_at__gte": since.isoformat(" "), "occurred_at__lt": until.isoformat(" ")}
    if filters.skill_id:
        window["skill__skill_id__exact"] = filters.skill_id

    def link(**lookups) -> str:
        return f"{events}?{urlencode({**window, **lookups})}"

    def day_link(day: date, outcome: str) -> str:
        since = datetime.combine(day, time.min, tzinfo=UTC)
        until = since + timedelta(days=1)
        one_day = {"occurred_at__gte": since.isoformat(" "), "occurred_at__lt": until.isoformat(" ")}
        return f"{events}?{urlencode({**window, **one_day, 'outcome__exact': outcome})}"

    days = [filters.start + timedelta(days=n) for n in range(filters.length.days)]
    return {
        "days": {outcome: [day_link(day, outcome) for day in days] for outcome in data["usage"]},
        "skills": [link(skill__skill_id__exact=skill) for skill in data["skills"]],
        "errors": [link(error_type=name) for name, _count in data["errors"]],
        "paths": [link(workflow_path=name) for name, _count in data["paths"]],
    }
