from django.conf import settings
from django.utils.functional import SimpleLazyObject

from skills.models import Experiment


def skills_flag(request) -> dict:
    """Lets templates (the admin banner) know whether skills are switched off."""
    return {"SKILLS_ENABLED": settings.SKILLS_ENABLED}


def experiment_breaches(request) -> dict:
    """Experiments a guardrail stopped that staff have not acknowledged: the banner of the admin's
    index and experiment pages. Read only when a page shows it (lazily), and only for staff."""
    user = getattr(request, "user", None)
    if user is None or not user.is_staff:
        return {"experiment_breaches": ()}
    return {"experiment_breaches": SimpleLazyObject(lambda: list(Experiment.objects.breached_unseen()[:5]))}
