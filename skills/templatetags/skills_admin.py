"""Template tags of the skills admin."""

from django import template

from skills.models import VersionRegression

register = template.Library()


@register.simple_tag
def active_regressions() -> list[VersionRegression]:
    """The active version regressions, for the admin index's notice (one query)."""
    return list(VersionRegression.objects.active().select_related("current_version", "baseline_version"))
