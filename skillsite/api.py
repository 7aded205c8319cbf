"""API foundation shared by both apps: the router, the one error shape and the exception handler.

Every error the API answers has one shape (the `Error` component of the OpenAPI schema):
`{"detail": "<a sentence>", "errors": …}`. `detail` is always there; `errors`, when present,
is either an object naming each field, query parameter or JSON path with its messages
(`{"user_query": ["This field is required."]}`, nested fields nested the same way), or, for a
batch, a list of per-item objects carrying the item's `index`.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler

from skills.ingestion.errors import EventConflict, EventsForbidden, EventsTooLarge, InvalidEvents
from skillsite.metrics import (
    REFUSED_CONFLICT,
    REFUSED_FORBIDDEN,
    REFUSED_INVALID,
    REFUSED_THROTTLED,
    REFUSED_TOO_LARGE,
    USAGE_EVENT_REFUSALS,
)

router = DefaultRouter()


# Honest about what is not known: a connection lost as the request's transaction was committed may
# have committed it. Every write a client retries is recognised (event ids, OTLP records' own ids).
DATABASE_UNAVAILABLE = (
    "The database connection failed; what this request wrote may have been stored (if the failure came as it "
    "was committed): retry with the same ids — retries are recognised."
)
EVENTS_INVALID = "Invalid events; nothing was written."
EVENTS_CONFLICT = "Conflicting event ids; nothing was written."
EVENTS_FORBIDDEN = "Events attributed to another user need the ingest_for_any_user permission; nothing was written."
INVALID_INPUT = "{first}"
MORE_ERRORS = " (and {count} more)"
RETRY_AFTER_SECONDS = "5"
# Error codes that say more than "invalid": an id (in the path or the body) naming nothing of the
# caller's is a 404; a move the object's current state forbids is a 409. Services raise them as
# ValidationError(message, code=…), so the admin and the commands show the same message.
DOES_NOT_EXIST_CODE = "does_not_exist"
ILLEGAL_TRANSITION_CODE = "illegal_transition"
STATUS_BY_CODE = {DOES_NOT_EXIST_CODE: status.HTTP_404_NOT_FOUND, ILLEGAL_TRANSITION_CODE: status.HTTP_409_CONFLICT}
# The ingestion's refusals, for the operators' metrics (a batch refused whole counts once).
REFUSAL_REASONS = {
    InvalidEvents: REFUSED_INVALID,
    EventConflict: REFUSED_CONFLICT,
    EventsForbidden: REFUSED_FORBIDDEN,
    EventsTooLarge: REFUSED_TOO_LARGE,
}


def error_body(detail: str, errors: dict | list | None = None) -> dict:
    """The API's one error shape."""
    return {"detail": str(detail)} if errors is None else {"detail": str(detail), "errors": errors}


def _messages(errors, path: str = "") -> list[str]:
    """Every message of DRF-style errors, each prefixed with where it applies (a.b[0].c: …)."""
    if isinstance(errors, dict):
        found = []
        for key, value in errors.items():
            where = key if key == "non_field_errors" else f"{path}.{key}" if path else str(key)
            found += _messages(value, "" if key == "non_field_errors" else where)
        return found
    if isinstance(errors, list) and errors and not all(isinstance(e, str) for e in errors):
        return [m for i, value in enumerate(errors) for m in _messages(value, f"{path}[{i}]")]
    items = errors if isinstance(errors, list) else [errors]
    return [f"{path}: {message}" if path else str(message) for message in items]


def validation_error_body(errors: dict | list) -> dict:
    """A 400's body: `detail` says the first problem (and how many more), `errors` all of them."""
    messages = _messages(errors) or ["invalid"]
    detail = INVALID_INPUT.format(first=messages[0])
    if len(messages) > 1:
        detail += MORE_ERRORS.format(count=len(messages) - 1)
    if isinstance(errors, list) and all(isinstance(e, str) for e in errors):
        return error_body(detail)
    return error_body(detail, errors)


def exception_handler(exc, context):
    """DRF's handler, with every body in the one error shape, plus: the ingestion's refusals
    (400, 409, 413); Django's ValidationError (raised by services) → 400 with field messages; a
    lost database connection → 503, so clients know a retry is safe (the transaction was rolled
    back, or, when the commit itself failed, may have been kept: the message says so)."""
    _count_refusal(exc, context)
    if isinstance(exc, EventsForbidden):
        return Response(error_body(EVENTS_FORBIDDEN, exc.errors), status=status.HTTP_403_FORBIDDEN)
    if isinstance(exc, InvalidEvents):
        return Response(error_body(EVENTS_INVALID, exc.errors), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, EventConflict):
        return Response(error_body(EVENTS_CONFLICT, exc.conflicts), status=status.HTTP_409_CONFLICT)
    if isinstance(exc, EventsTooLarge):
        return Response(error_body(exc.detail, exc.errors), status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    if isinstance(exc, OperationalError | InterfaceError):
        response = Response(error_body(DATABASE_UNAVAILABLE), status=status.HTTP_503_SERVICE_UNAVAILABLE)
        response["Retry-After"] = RETRY_AFTER_SECONDS
        return response
    response = drf_exception_handler(exc, context)
    if response is not None:
        response.data = _in_error_shape(exc, response.data)
        if isinstance(exc, exceptions.ValidationError):
            codes = _leaf_codes(exc.get_codes())
            if len(codes) == 1:
                response.status_code = STATUS_BY_CODE.get(codes.pop(), response.status_code)
    return response


def _count_refusal(exc, context) -> None:
    reason = next((reason for kind, reason in REFUSAL_REASONS.items() if isinstance(exc, kind)), None)
    if reason is None and isinstance(exc, exceptions.Throttled):
        if getattr(context.get("view"), "throttle_scope", None) == "ingest":
            reason = REFUSED_THROTTLED
    if reason is not None:
        USAGE_EVENT_REFUSALS.labels(reason).inc()


def _leaf_codes(codes) -> set[str]:
    if isinstance(codes, dict):
        return {code for value in codes.values() for code in _leaf_codes(value)}
    if isinstance(codes, list):
        return {code for value in codes for code in _leaf_codes(value)}
    return {codes}


def _in_error_shape(exc: Exception, data) -> dict:
    if isinstance(exc, exceptions.ValidationError):
        return validation_error_body(data)
    if isinstance(data, dict) and isinstance(data.get("detail"), str):
        return error_body(data["detail"], {k: v for k, v in data.items() if k != "detail"} or None)
    return validation_error_body(data)
