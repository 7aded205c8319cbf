"""The client's address, as every per-address rule reads it (login lockout, sign-up throttle).

Behind `PROXY_COUNT` proxies, each appends the address it received the request from to
X-Forwarded-For, so the entry `PROXY_COUNT` places from the right is the one the outermost proxy
saw, and anything to its left was written by the client and is not trusted. DRF's throttles count
the same way (`NUM_PROXIES` is set from the same variable)."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    remote = request.META.get("REMOTE_ADDR", "")
    if settings.PROXY_COUNT <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if not forwarded:
        return remote
    candidate = forwarded[-min(settings.PROXY_COUNT, len(forwarded))]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        # Not an address: the proxies are not what PROXY_COUNT says; the direct peer is all we know.
        return remote
