"""What operators and their machines call: liveness, readiness (and the metrics page).

`/healthz` answers as long as the process serves requests, touching nothing else (an orchestrator
restarts a process that stops answering it); `/readyz` says whether this process should get traffic
(a load balancer takes it out of rotation while it answers 503). Both are JSON, unauthenticated,
and name no host, user or error text.
"""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from skillsite.api import RETRY_AFTER_SECONDS
from skillsite.health import readiness


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@never_cache
@require_safe
def readyz(request: HttpRequest) -> JsonResponse:
    ready, checks = readiness()
    response = JsonResponse({"status": "ready" if ready else "unready", "checks": checks}, status=200 if ready else 503)
    if not ready:
        response["Retry-After"] = RETRY_AFTER_SECONDS
    return response
