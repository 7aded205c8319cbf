"""What operators and their machines call: liveness, readiness and the metrics page.

`/healthz` answers as long as the process serves requests, touching nothing else (an orchestrator
restarts a process that stops answering it); `/readyz` says whether this process should get traffic
(a load balancer takes it out of rotation while it answers 503). Both are JSON, unauthenticated,
and name no host, user or error text. `/metrics` is Prometheus's text format for operators only
(skillsite/metrics.py says who), this host's processes plus the fold queue read from the database.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.core import GaugeMetricFamily

from skills.selectors.fold_queue import fold_queue
from skillsite.api import RETRY_AFTER_SECONDS
from skillsite.health import readiness
from skillsite.metrics import operator_allowed
from skillsite.metrics_exporter import REFUSED, process_registry


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


class FoldQueueCollector:
    """The roll-up queue's depth and its oldest event's age, read at each scrape."""

    def collect(self) -> Iterable[GaugeMetricFamily]:
        queue = fold_queue()
        yield GaugeMetricFamily("skillsite_fold_queue_events", "Stored events waiting to be folded.", queue.events)
        yield GaugeMetricFamily(
            "skillsite_fold_queue_oldest_age_seconds",
            "How long the oldest event waiting to be folded has waited (0 when none waits).",
            queue.oldest_age_seconds,
        )


SCRAPED = process_registry(FoldQueueCollector())


@never_cache
@require_safe
def metrics(request: HttpRequest) -> HttpResponse:
    if not operator_allowed(
        remote_addr=request.META.get("REMOTE_ADDR", ""), authorization=request.headers.get("Authorization", "")
    ):
        response = HttpResponse(REFUSED, status=401, content_type="text/plain")
        response["WWW-Authenticate"] = "Bearer"
        return response
    return HttpResponse(generate_latest(SCRAPED), content_type=CONTENT_TYPE_LATEST)
