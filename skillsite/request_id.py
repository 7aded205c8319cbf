"""A request id for every request: taken from the `X-Request-ID` header a load balancer set (when it
is a plain token), else made here; returned in the response's `X-Request-ID`, put on every log line
written while the request runs (`RequestIdFilter`), and carried into the Celery jobs it queues (a
message header, skillsite/celery.py), whose log lines carry it too.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token

from django.core.signals import request_finished
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse

REQUEST_ID_HEADER = "X-Request-ID"
CELERY_HEADER = "request_id"
# A client's id is kept only when it cannot forge a log line or a header: short, no spaces or quotes.
ACCEPTED_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
_current: ContextVar[str] = ContextVar("request_id", default="")


def current_request_id() -> str:
    """The id of the request (or job) this code runs for; empty outside one."""
    return _current.get()


def request_id_set(request_id: str) -> Token:
    """Binds the id to the code that runs next; `request_id_reset(token)` undoes it."""
    return _current.set(request_id)


def request_id_reset(token: Token) -> None:
    _current.reset(token)


@contextmanager
def request_id_bound(request_id: str) -> Iterator[None]:
    token = request_id_set(request_id)
    try:
        yield
    finally:
        request_id_reset(token)


def request_id_of(header: str | None) -> str:
    """The client's id when acceptable, else a new one."""
    if header and ACCEPTED_ID.fullmatch(header):
        return header
    return uuid.uuid4().hex


class RequestIdFilter(logging.Filter):
    """Gives every record a `request_id` attribute (empty outside a request or job)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _current.get()
        return True


class RequestId:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # Unbound when the response is closed (request_finished), not on the way out of here:
        # Django logs a 4xx or 5xx answer after the middleware has returned it.
        request_id = request_id_of(request.headers.get(REQUEST_ID_HEADER))
        request_id_set(request_id)
        response = self.get_response(request)
        response[REQUEST_ID_HEADER] = request_id
        return response


@receiver(request_finished)
def request_id_unbind(**kwargs) -> None:
    _current.set("")
