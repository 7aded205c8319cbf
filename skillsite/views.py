"""Project-wide error views: under /api/, answers in the API's one error shape (JSON)."""

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.views.defaults import page_not_found, server_error

from skillsite.api import DATABASE_UNAVAILABLE, RETRY_AFTER_SECONDS, error_body
from skillsite.parsers import API_PREFIX

NOT_FOUND = "Not found: no API endpoint or object at {path}."


def handler404(request, exception):
    """An API URL that matches no route (a path parameter outside its pattern, say) is a JSON 404 too."""
    if request.path.startswith(API_PREFIX):
        return JsonResponse(error_body(NOT_FOUND.format(path=request.path)), status=404)
    return page_not_found(request, exception)


def handler500(request):
    """A lost database connection is a 503 (retry later), not a bug: anywhere in the stack,
    including middleware (sessions, auth) that runs before any view."""
    exc = sys.exc_info()[1]
    if isinstance(exc, OperationalError | InterfaceError):
        if request.path.startswith(API_PREFIX):
            response = JsonResponse(error_body(DATABASE_UNAVAILABLE), status=503)
        else:
            response = HttpResponse(DATABASE_UNAVAILABLE, status=503, content_type="text/plain; charset=utf-8")
        response["Retry-After"] = RETRY_AFTER_SECONDS
        return response
    return server_error(request)
