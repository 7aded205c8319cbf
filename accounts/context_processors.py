from django.conf import settings


def signup_open(request) -> dict:
    """Whether pages offer sign-up (SIGNUP_OPEN)."""
    return {"signup_open": settings.SIGNUP_OPEN}
