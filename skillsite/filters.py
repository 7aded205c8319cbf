"""Filters shared by the APIs, and the strictness every list applies to its query parameters.

A list refuses junk with a 400 naming the parameter, in the API's error shape: a parameter given
twice, an empty value for anything but free text, a boolean other than `true` / `false`, a value
django-filter cannot parse (its own errors), and an `ordering` outside the list's
`ordering_fields` (offered in the schema as an enum, one field at a time).
"""

from __future__ import annotations

from datetime import UTC, datetime

import django_filters
from django_filters.fields import IsoDateTimeField
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter

ONE_VALUE = "Give this parameter once."
NOT_EMPTY = "This parameter may not be empty."
NOT_BOOLEAN = "Must be true or false."
BAD_ORDERING = "Must be one of: {choices}."
NO_ORDERING = "This list has one fixed order."
BOOLEAN_VALUES = ("true", "false")


class UTCIsoDateTimeField(IsoDateTimeField):
    """ISO 8601 date-times converted to UTC: PostgreSQL refuses offsets beyond ±15:59. A valid
    date-time near year 1 or 9999 may fall outside the years 1–9999 in UTC: it bounds nothing
    then, so it is taken as the first or last representable moment."""

    def to_python(self, value):
        parsed = super().to_python(value)
        try:
            return parsed.astimezone(UTC) if parsed is not None and parsed.tzinfo else parsed
        except OverflowError:
            return (datetime.min if parsed.year == 1 else datetime.max).replace(tzinfo=UTC)


class UTCIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UTCIsoDateTimeField


def single_value(params, name: str) -> str | None:
    """The parameter's one value (None when absent); given more than once → 400 naming it."""
    values = params.getlist(name)
    if len(values) > 1:
        raise ValidationError({name: [ONE_VALUE]})
    return values[0] if values else None


def _junk(filter_: django_filters.Filter, values: list[str]) -> str | None:
    if len(values) > 1:
        return ONE_VALUE
    if isinstance(filter_, django_filters.BooleanFilter):
        return None if values[0] in BOOLEAN_VALUES else NOT_BOOLEAN
    if values[0] == "" and not isinstance(filter_, django_filters.CharFilter):
        return NOT_EMPTY
    return None


class StrictFilterBackend(DjangoFilterBackend):
    """django-filter, refusing what its fields would quietly ignore (see the module docstring)."""

    def filter_queryset(self, request, queryset, view):
        filterset = self.get_filterset(request, queryset, view)
        if filterset is not None:
            params = request.query_params
            errors = {
                name: [message]
                for name, filter_ in filterset.filters.items()
                if name in params and (message := _junk(filter_, params.getlist(name)))
            }
            if errors:
                raise ValidationError(errors)
        return super().filter_queryset(request, queryset, view)


class StrictOrderingFilter(OrderingFilter):
    """`?ordering=` one of the view's `ordering_fields`, optionally prefixed with `-`; anything else → 400."""

    def choices(self, view) -> list[str]:
        fields = getattr(view, "ordering_fields", None) or []
        return [prefix + field for field in fields for prefix in ("", "-")]

    def get_ordering(self, request, queryset, view):
        value = single_value(request.query_params, self.ordering_param)
        if value is None:
            return self.get_default_ordering(view)
        choices = self.choices(view)
        if value not in choices:
            message = BAD_ORDERING.format(choices=", ".join(choices)) if choices else NO_ORDERING
            raise ValidationError({self.ordering_param: [message]})
        return [value]

    def get_schema_operation_parameters(self, view):
        choices = self.choices(view)
        if not choices:
            return []
        return [
            {
                "name": self.ordering_param,
                "required": False,
                "in": "query",
                "description": "The field to sort by; a leading - sorts in descending order.",
                "schema": {"type": "string", "enum": choices},
            }
        ]
