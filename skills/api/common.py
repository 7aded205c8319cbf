"""Pieces shared by the skills API: the SKILLS_ENABLED switch."""

from django.conf import settings
from rest_framework.exceptions import APIException
from rest_framework.permissions import BasePermission

SKILLS_DISABLED = (
    "The skills service is switched off on this site (SKILLS_ENABLED=false). Roadmaps keep working; try again later."
)


class SkillsDisabled(APIException):
    status_code = 503
    default_detail = SKILLS_DISABLED
    default_code = "skills_disabled"


class SkillsEnabled(BasePermission):
    """First permission of every skills endpoint: with the flag off, answer 503 before anything else."""

    def has_permission(self, request, view) -> bool:
        if not settings.SKILLS_ENABLED:
            raise SkillsDisabled()
        return True


class SkillsAPIMixin:
    def get_permissions(self):
        return [SkillsEnabled(), *super().get_permissions()]
