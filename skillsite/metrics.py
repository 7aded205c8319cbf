"""The Prometheus metrics every process may move, and who may read them (operators only).

The metrics are prometheus-client's. Under gunicorn or Celery's prefork pool several processes
serve one host: with PROMETHEUS_MULTIPROC_DIR set (before start-up, a folder of the host's own,
emptied at start — gunicorn.conf.py does it for gunicorn) each process writes its values to files
there and a scrape adds them up; without it (runserver, the tests) a process reports its own.
The names, labels and an example alert are listed in docs/metrics.md.

Reading them needs the operator's credential: `Authorization: Bearer <METRICS_BEARER_TOKEN>`, or
a client address inside METRICS_ALLOWED_ADDRESSES (the socket's peer, never a forwarded header a
client could write). With neither set, nobody may read them.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
from pathlib import Path

from django.conf import settings
from prometheus_client import Counter, Histogram

if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):  # each metric opens its file there as it is defined
    Path(os.environ["PROMETHEUS_MULTIPROC_DIR"]).mkdir(parents=True, exist_ok=True)

HTTP_REQUESTS = Counter(
    "skillsite_http_requests", "HTTP requests answered, by route, method and status.", ["route", "method", "status"]
)
HTTP_REQUEST_DURATION = Histogram(
    "skillsite_http_request_duration_seconds",
    "Time to answer an HTTP request, by route and method.",
    ["route", "method"],
)
USAGE_EVENTS = Counter(
    "skillsite_usage_events", "Usage events received through any door: accepted (stored) or duplicate.", ["result"]
)
USAGE_EVENT_REFUSALS = Counter(
    "skillsite_usage_event_refusals", "Event posts refused whole (nothing stored), by reason.", ["reason"]
)
OTLP_RECORDS = Counter("skillsite_otlp_records", "OTLP log records taken in, by kind.", ["kind"])
FOLD_DURATION = Histogram(
    "skillsite_fold_duration_seconds",
    "Time a fold of queued events into the roll-ups took (folds that found events).",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
FOLDED_EVENTS = Counter("skillsite_folded_events", "Events folded into the roll-ups.")
JOB_RUNS = Counter("skillsite_job_runs", "Job runs finished, by job and outcome.", ["job", "status"])
PULL_REQUESTS = Counter(
    "skillsite_pull_requests",
    "Requests of pull clients, by endpoint (available, content, bundle) and result (served, or not_modified: a 304).",
    ["endpoint", "result"],
)
PULL_SERVED, PULL_NOT_MODIFIED = "served", "not_modified"
# The refusals the API's exception handler maps, by reason (skillsite/api.py).
REFUSED_INVALID, REFUSED_CONFLICT, REFUSED_FORBIDDEN = "invalid", "conflict", "forbidden"
REFUSED_TOO_LARGE, REFUSED_THROTTLED = "too_large", "throttled"


def usage_events_counted(*, created: int, duplicates: int) -> None:
    USAGE_EVENTS.labels("accepted").inc(created)
    USAGE_EVENTS.labels("duplicate").inc(duplicates)


def fold_counted(*, events: int, seconds: float) -> None:
    FOLDED_EVENTS.inc(events)
    FOLD_DURATION.observe(seconds)


def otlp_records_counted(intake) -> None:
    """A request's records by kind: signals of skill uses (activations and Skill results, joined into
    uses), model requests stored, records neither, and records rejected (named in the answer's
    partialSuccess)."""
    OTLP_RECORDS.labels("skill_use").inc(intake.signals)
    OTLP_RECORDS.labels("model_request").inc(intake.api_requests_created)
    OTLP_RECORDS.labels("ignored").inc(intake.ignored)
    OTLP_RECORDS.labels("rejected").inc(len(intake.rejected))


def operator_allowed(*, remote_addr: str, authorization: str) -> bool:
    """Whether a request from `remote_addr` with this Authorization header may read the metrics."""
    token = settings.METRICS_BEARER_TOKEN
    scheme, _, credential = authorization.partition(" ")
    if token and scheme.lower() == "bearer" and hmac.compare_digest(credential.strip().encode(), token.encode()):
        return True
    return _address_allowed(remote_addr)


def _address_allowed(remote_addr: str) -> bool:
    try:
        address = ipaddress.ip_address(remote_addr)
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(allowed, strict=False) for allowed in settings.METRICS_ALLOWED_ADDRESSES)
