"""Project-wide middleware: every answer counted and timed for Prometheus, by route."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from skillsite.metrics import HTTP_REQUEST_DURATION, HTTP_REQUESTS

UNMATCHED_ROUTE = "unmatched"  # no URL pattern: one label for them all, whatever the path
# Any other method is labelled "other": a client cannot add label values by inventing methods.
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def route_of(request: HttpRequest) -> str:
    """The URL pattern that answered (`api/^skills/(?P<skill_id>[^/.]+)/content/`), never the path:
    the label's values stay as few as the routes, whatever clients ask for."""
    match = getattr(request, "resolver_match", None)
    if match is None or not match.route:
        return UNMATCHED_ROUTE
    return match.route.replace("^", "").replace("$", "")


class RequestMetrics:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        route, method = route_of(request), request.method if request.method in KNOWN_METHODS else "other"
        HTTP_REQUEST_DURATION.labels(route, method).observe(time.perf_counter() - started)
        HTTP_REQUESTS.labels(route, method, str(response.status_code)).inc()
        return response
