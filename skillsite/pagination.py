"""Pagination of every list: `?page=` a positive integer (junk → 400 naming it, past the last
page → 404), or, for the usage log, an opaque `?cursor=` from a `next` / `previous` link (one
that is not → 404, as for a page that does not exist: any string is a cursor's type)."""

from __future__ import annotations

import re

from rest_framework import pagination
from rest_framework.exceptions import NotFound, ValidationError

from skillsite.filters import single_value

PAGE_NOT_A_NUMBER = "Must be a whole number of 1 or more."
PAGE_PAST_THE_END = "Page {page_number} does not exist: {message}"
CURSOR_INVALID = "Not a cursor of this list: use the next and previous links as given."
_DIGITS = re.compile(r"[0-9]+\Z")
_LARGEST_PAGE_DIGITS = 18


class PageNumberPagination(pagination.PageNumberPagination):
    invalid_page_message = PAGE_PAST_THE_END

    def get_page_number(self, request, paginator):
        value = single_value(request.query_params, self.page_query_param)
        if value is None:
            return 1
        digits = value.lstrip("0")
        if not _DIGITS.match(value) or not digits:
            raise ValidationError({self.page_query_param: [PAGE_NOT_A_NUMBER]})
        if len(digits) > _LARGEST_PAGE_DIGITS:  # far past any last page (and int() of it would be slow)
            raise NotFound(PAGE_PAST_THE_END.format(page_number=digits[:20] + "…", message="no such page"))
        return int(digits)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1}
                parameter["description"] = "A page number (1 first); past the last page → 404."
        return parameters


class CursorPagination(pagination.CursorPagination):
    """Pages by position, never counting; a cursor that is not one of ours → 404."""

    invalid_cursor_message = CURSOR_INVALID

    def decode_cursor(self, request):
        single_value(request.query_params, self.cursor_query_param)
        return super().decode_cursor(request)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.cursor_query_param:
                parameter["description"] = "From a next or previous link; one that is not → 404."
        return parameters
