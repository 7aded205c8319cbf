"""JSON bodies of the API: checked once, before any view runs, then decoded by one parser.

A body nested thousands of levels deep makes a recursive decoder (the standard library's,
msgspec's) raise RecursionError, a 500, and a view that never reads its body would not even
parse it. So `JSONBodyGuard`, a middleware, checks every JSON body sent to the API before any
view runs: at most DATA_UPLOAD_MAX_MEMORY_SIZE bytes (else 413) and nested at most
JSON_MAX_DEPTH levels (else 400), both answered in the API's error shape. The depth is measured
on the raw bytes, in passes that run at C speed. `JSONParser` then decodes what passed.
"""

from __future__ import annotations

import re

import msgspec
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponseBadRequest, HttpResponseNotFound, JsonResponse
from rest_framework import exceptions, parsers
from rest_framework.parsers import get_encoding

TOO_DEEP = "JSON parse error - the body is nested more than {limit} levels deep."
TOO_LARGE = "The request body is larger than {limit:,} bytes."
NUL_IN_QUERY = "Query parameters may not contain NUL (\\u0000) characters."
NUL_IN_PATH = "Not found: no path contains a NUL (\\u0000) character."
JSON_ERROR = "JSON parse error - {error}"
API_PREFIX = "/api/"
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

_ESCAPES = re.compile(rb"\\.", re.DOTALL)
_INNERMOST_PAIRS = re.compile(rb"\[\]|\{\}")
_NOT_QUOTES_OR_BRACKETS = bytes(c for c in range(256) if c not in b'"[]{}')


def nesting_exceeds(body: bytes, limit: int) -> bool:
    """Whether the JSON text nests arrays and objects more than `limit` levels deep. Each pass
    removes the innermost empty pairs, one level; malformed text is left for the decoder."""
    # Outside strings only: with escapes gone, every other quote-separated part is inside one
    # (kept to quotes and brackets first, the split makes mostly empty parts, which cost nothing).
    unescaped = _ESCAPES.sub(b"", body) if b"\\" in body else body
    brackets = b"".join(unescaped.translate(None, _NOT_QUOTES_OR_BRACKETS).split(b'"')[::2])
    for _ in range(limit):
        if not brackets:
            return False
        brackets, removed = _INNERMOST_PAIRS.subn(b"", brackets)
        if not removed:
            return False
    return bool(brackets)


def _is_json(content_type: str) -> bool:
    return content_type == "application/json" or content_type.endswith("+json")


class JSONBodyGuard:
    """Middleware: refuses an API request's body that is too large (413), JSON too deep (400), and
    on every page a path (404) or a query parameter (400) holding a NUL character: PostgreSQL
    cannot compare with one, so it would be a 500 wherever it reached a query (an API lookup, an
    admin filter)."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        api = request.path.startswith(API_PREFIX)
        if "\x00" in request.path:
            if api:
                return JsonResponse({"detail": NUL_IN_PATH}, status=404)
            return HttpResponseNotFound(NUL_IN_PATH, content_type="text/plain; charset=utf-8")
        with_nul = sorted(name for name, values in request.GET.lists() if any("\x00" in v for v in values))
        if with_nul:
            if not api:
                return HttpResponseBadRequest(
                    f"{with_nul[0]}: {NUL_IN_QUERY}", content_type="text/plain; charset=utf-8"
                )
            errors = {name: [NUL_IN_QUERY] for name in with_nul}
            return JsonResponse({"detail": f"{with_nul[0]}: {NUL_IN_QUERY}", "errors": errors}, status=400)
        if request.path.startswith(API_PREFIX) and request.method in BODY_METHODS:
            try:
                # Any type of body: Django refuses more than DATA_UPLOAD_MAX_MEMORY_SIZE, which a
                # form body would otherwise turn into an HTML 400 deep inside a parser.
                body = request.body
            except RequestDataTooBig:
                limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
                return JsonResponse({"detail": TOO_LARGE.format(limit=limit)}, status=413)
            if _is_json(request.content_type) and nesting_exceeds(body, settings.JSON_MAX_DEPTH):
                return JsonResponse({"detail": TOO_DEEP.format(limit=settings.JSON_MAX_DEPTH)}, status=400)
        return self.get_response(request)


class JSONParser(parsers.JSONParser):
    """JSON as DRF parses it (objects, lists, numbers; no NaN), decoded by msgspec; the body was
    size- and depth-checked by JSONBodyGuard."""

    def parse(self, stream, media_type=None, parser_context=None):
        body = stream.read()
        encoding = get_encoding(parser_context or {})
        try:
            if encoding.lower().replace("-", "") != "utf8":
                body = body.decode(encoding).encode()
            return msgspec.json.decode(body)
        except (msgspec.DecodeError, UnicodeDecodeError, LookupError) as error:
            raise exceptions.ParseError(JSON_ERROR.format(error=error)) from error
