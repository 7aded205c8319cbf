"""Filters shared by the APIs."""

from datetime import UTC

import django_filters
from django import forms
from django_filters.fields import IsoDateTimeField

OUT_OF_RANGE = "Enter a date-time between years 1 and 9999 (UTC)."


class UTCIsoDateTimeField(IsoDateTimeField):
    """ISO 8601 date-times converted to UTC: PostgreSQL refuses offsets beyond ±15:59,
    and a date-time near year 1 or 9999 may not exist in UTC at all."""

    def to_python(self, value):
        parsed = super().to_python(value)
        try:
            return parsed.astimezone(UTC) if parsed is not None and parsed.tzinfo else parsed
        except OverflowError as error:
            raise forms.ValidationError(OUT_OF_RANGE) from error


class UTCIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UTCIsoDateTimeField
