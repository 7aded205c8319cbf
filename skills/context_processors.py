from django.conf import settings


def skills_flag(request) -> dict:
    """Lets templates (the admin banner) know whether skills are switched off."""
    return {"SKILLS_ENABLED": settings.SKILLS_ENABLED}
