"""The metrics dashboard: an admin page, charts drawn by Chart.js from local static files."""

from __future__ import annotations

from datetime import date

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse

from skills.dashboard import DashboardFilter, dashboard_data, skill_choices
from skillsite.routers import replica_reads

RANGE_BACKWARDS = "The start must be on or before the end."
RANGE_TOO_LONG = "Choose at most 366 days."


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
    only to those who may view the daily roll-up it draws."""
    if not request.user.has_perm("skills.view_skilldailyusage"):
        raise PermissionDenied
    default = DashboardFilter.default()
    form = DashboardForm(request.GET or {"start": default.start, "end": default.end, "skill": ""})
    filters = default
    if form.is_valid():
        filters = DashboardFilter(form.cleaned_data["start"], form.cleaned_data["end"], form.cleaned_data["skill"])
    with replica_reads():  # the replica when there is one (skillsite/routers.py)
        data = dashboard_data(filters)
    context = {
        **admin.site.each_context(request),
        "title": "Metrics dashboard",
        "form": form,
        "data": data,
        "filters": filters,
    }
    return TemplateResponse(request, "admin/skills/dashboard.html", context)
