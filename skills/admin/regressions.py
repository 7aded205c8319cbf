"""Version regressions in the admin: a filter on the skill list, a banner with a rollback button on
the skill's page, a notice on the admin index, and the history of marks (read-only)."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Exists, OuterRef

from ..models import VersionRegression
from ..services.regressions import MEASURE_LABELS, figure_text, p_text
from .common import ReadOnlyAdmin


def _active_for(outer: str = "pk"):
    return Exists(VersionRegression.objects.active().filter(skill_id=OuterRef(outer)))


class RegressionFilter(admin.SimpleListFilter):
    title = "version regression"
    parameter_name = "regression"

    def lookups(self, request, model_admin):
        return [("yes", "Current version regressed"), ("no", "No regression")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(_active_for())
        if self.value() == "no":
            return queryset.exclude(_active_for())
        return queryset


def regression_rows(mark: VersionRegression) -> list[dict]:
    """The mark's measures as table rows: both versions with their intervals, p-value, verdict."""
    rows = []
    for name, label, scale, unit in MEASURE_LABELS:
        measure = mark.measures.get(name, {})
        if not measure:
            continue
        rows.append(
            {
                "label": label,
                "baseline": figure_text(measure["baseline"], scale, unit),
                "current": figure_text(measure["current"], scale, unit),
                "p_value": p_text(measure.get("p_value")),
                "regressed": measure.get("regressed", False),
            }
        )
    return rows


def regression_context(skill_id: str) -> dict:
    """The skill page's banner: its active mark (one query, both versions joined) and its rows."""
    mark = (
        VersionRegression.objects.active()
        .filter(skill_id=skill_id)
        .select_related("baseline_version", "current_version")
        .first()
    )
    return {"regression": mark, "regression_rows": regression_rows(mark) if mark else []}


@admin.register(VersionRegression)
class VersionRegressionAdmin(ReadOnlyAdmin):
    list_display = ["skill", "current_version", "baseline_version", "detected_at", "cleared_at", "cleared_reason"]
    list_filter = [("cleared_at", admin.EmptyFieldListFilter)]
    list_select_related = ["skill", "current_version", "baseline_version"]
    search_fields = ["skill__skill_id"]
