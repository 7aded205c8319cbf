"""API foundation shared by both apps: the router and the exception handler."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler

from skills.ingestion import EventConflict, EventsTooLarge, InvalidEvents

router = DefaultRouter()


DATABASE_UNAVAILABLE = "The database is unavailable at the moment; nothing was written. Retry shortly."
EVENTS_INVALID = "Invalid events; nothing was written."
EVENTS_CONFLICT = "Conflicting event ids; nothing was written."
RETRY_AFTER_SECONDS = "5"


def exception_handler(exc, context):
    """DRF's handler, plus: Django's ValidationError (raised by services) → 400 with field
    messages; a lost database connection → 503, so clients know a retry is safe (the
    transaction was rolled back)."""
    if isinstance(exc, InvalidEvents):
        return Response({"detail": EVENTS_INVALID, "errors": exc.errors}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, EventConflict):
        return Response({"detail": EVENTS_CONFLICT, "conflicts": exc.conflicts}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, EventsTooLarge):
        return Response({"detail": exc.detail, "errors": exc.errors}, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    if isinstance(exc, OperationalError | InterfaceError):
        response = Response({"detail": DATABASE_UNAVAILABLE}, status=status.HTTP_503_SERVICE_UNAVAILABLE)
        response["Retry-After"] = RETRY_AFTER_SECONDS
        return response
    return drf_exception_handler(exc, context)
