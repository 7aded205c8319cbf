"""Project-wide error views."""

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.views.defaults import server_error

from skillsite.api import DATABASE_UNAVAILABLE, RETRY_AFTER_SECONDS


def handler500(request):
    """A lost database connection is a 503 (retry later), not a bug: anywhere in the stack,
    including middleware (sessions, auth) that runs before any view."""
    exc = sys.exc_info()[1]
    if isinstance(exc, OperationalError | InterfaceError):
        response = HttpResponse(DATABASE_UNAVAILABLE, status=503, content_type="text/plain; charset=utf-8")
        response["Retry-After"] = RETRY_AFTER_SECONDS
        return response
    return server_error(request)
