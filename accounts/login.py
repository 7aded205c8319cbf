"""Login lockout beyond django-axes' per (username, address) count: a cap on failures for one
username from all addresses together, so spreading guesses over many addresses does not help.

axes counts failures per (username, address) and locks that pair at LOGIN_FAILURES_PER_ADDRESS
(`AXES_FAILURE_LIMIT`). Its limit may be a callable: this one answers 0 — locked, whatever the
pair's count — once the username has LOGIN_FAILURES_PER_USERNAME failures within the cool-off,
from any addresses. The trade-off: whoever sends that many wrong passwords locks the username
for everyone for the cool-off, so the cap is set well above the per-address limit."""

from __future__ import annotations

from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.utils import timezone


def username_failures(username: str) -> int:
    """Failures for this username within the cool-off, from every address."""
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    attempts = AccessAttempt.objects.filter(username=username, attempt_time__gte=since)
    return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0


def failure_limit(request, credentials=None) -> int:
    username = get_client_username(request, credentials)
    if username and username_failures(username) >= settings.LOGIN_FAILURES_PER_USERNAME:
        return 0
    return settings.LOGIN_FAILURES_PER_ADDRESS
