"""Serving the metrics: the registry a scrape reads, and the exporter of processes with no web
server (a Celery worker, the fold worker), started when METRICS_EXPORTER_PORT is set.

The exporter asks for the same operator credential as the web's /metrics (skillsite/metrics.py)
and answers only this host's processes; the fold queue's depth and age come from the web's page.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterable
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from django.conf import settings
from prometheus_client import REGISTRY, CollectorRegistry, make_wsgi_app
from prometheus_client.multiprocess import MultiProcessCollector

from skillsite.metrics import operator_allowed

MULTIPROCESS_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
REFUSED = b"Metrics are for operators: send Authorization: Bearer <METRICS_BEARER_TOKEN>.\n"
logger = logging.getLogger("skillsite.metrics")


def process_registry(*extra_collectors) -> CollectorRegistry:
    """A registry holding this host's metrics (every process's under PROMETHEUS_MULTIPROC_DIR, else
    this process's) and the extra collectors."""
    registry = CollectorRegistry()  # not described at registration: a collector may query the database
    if os.environ.get(MULTIPROCESS_DIR_VARIABLE):
        MultiProcessCollector(registry)
    else:
        registry.register(_ThisProcess())
    for collector in extra_collectors:
        registry.register(collector)
    return registry


class _ThisProcess:
    """The default registry's metrics (this process's), inside another registry."""

    def collect(self) -> Iterable:
        yield from REGISTRY.collect()


def operator_only(app: Callable) -> Callable:
    """A WSGI app answering 401 to anyone without the operator's credential."""

    def guarded(environ: dict, start_response: Callable):
        if operator_allowed(
            remote_addr=environ.get("REMOTE_ADDR", ""), authorization=environ.get("HTTP_AUTHORIZATION", "")
        ):
            return app(environ, start_response)
        start_response("401 Unauthorized", [("Content-Type", "text/plain"), ("WWW-Authenticate", "Bearer")])
        return [REFUSED]

    return guarded


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args) -> None:  # a scrape every few seconds is not news
        pass


def exporter_start() -> WSGIServer | None:
    """Serves this host's metrics on METRICS_EXPORTER_ADDRESS:METRICS_EXPORTER_PORT in a daemon
    thread (nothing when the port is 0); returns the server."""
    port = settings.METRICS_EXPORTER_PORT
    if not port:
        return None
    app = operator_only(make_wsgi_app(process_registry()))
    server = make_server(settings.METRICS_EXPORTER_ADDRESS, port, app, _Server, handler_class=_QuietHandler)
    threading.Thread(target=server.serve_forever, name="metrics-exporter", daemon=True).start()
    logger.info("metrics exporter listening on %s:%s", settings.METRICS_EXPORTER_ADDRESS, port)
    return server
