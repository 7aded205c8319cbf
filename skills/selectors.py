"""Read paths of the skills app shaped for pages and endpoints."""

from django.db.models import Prefetch, QuerySet

from skills.models import Skill, SkillVersion


def skills_with_current_version() -> QuerySet[Skill]:
    """Skills with `current_versions` (a list of 0 or 1) and metrics loaded: 2 queries for any page."""
    return Skill.objects.select_related("metrics").prefetch_related(
        Prefetch("versions", queryset=SkillVersion.objects.filter(is_current=True), to_attr="current_versions")
    )
