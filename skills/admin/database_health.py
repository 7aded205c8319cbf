"""The database health page: read-only, staff only, a fixed number of queries (skills/selectors/database_health.py)."""

from __future__ import annotations

from django.contrib import admin
from django.template.response import TemplateResponse

from skills.selectors.database_health import database_health


def database_health_view(request):
    """Served under /admin/ (skillsite/urls.py) through admin_view: staff only; it changes nothing."""
    context = {**admin.site.each_context(request), "title": "Database health", "health": database_health()}
    return TemplateResponse(request, "admin/database_health.html", context)
