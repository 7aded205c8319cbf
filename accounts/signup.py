"""Sign-up limits: closable (SIGNUP_OPEN=false) and throttled per client address."""

from __future__ import annotations

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from .addresses import client_address


class SignupThrottle(SimpleRateThrottle):
    """SIGNUP_THROTTLE_RATE sign-up posts per client address (DRF's sliding window, in the cache)."""

    scope = "signup"

    def get_rate(self) -> str:
        return settings.SIGNUP_THROTTLE_RATE

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": client_address(request)}
