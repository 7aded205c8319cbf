"""Input serializers that take JSON types as the schema states them.

DRF's fields are lenient with types: a CharField takes 3.2e16 (and stores "3.2e16"), an
IntegerField "5", a BooleanField "yes" and 1. The OpenAPI schema says string, integer, boolean;
`StrictTypes` refuses any other JSON type with a 400 naming the field, before the fields run.
"""

from __future__ import annotations

from rest_framework import serializers

NOT_A = "Must be {kind}, not {given}."
JSON_TYPE_NAMES = {bool: "a boolean", int: "a number", float: "a number", str: "a string", list: "a list",
                   dict: "an object", type(None): "null"}  # fmt: skip

# The most specific field classes first: BooleanField before IntegerField (bool is an int).
EXPECTED = [
    (serializers.BooleanField, (bool,), "a boolean"),
    (serializers.IntegerField, (int,), "an integer"),
    (serializers.FloatField, (int, float), "a number"),
    (serializers.ChoiceField, (str,), "a string"),
    (serializers.CharField, (str,), "a string"),
    (serializers.UUIDField, (str,), "a string"),
    (serializers.DateTimeField, (str,), "a string"),
    (serializers.DateField, (str,), "a string"),
    (serializers.ListField, (list,), "a list"),
    (serializers.DictField, (dict,), "an object"),
]


def _type_error(field: serializers.Field, value) -> str | None:
    if value is None:
        return None  # the field's own allow_null decides
    for field_class, types, kind in EXPECTED:
        if isinstance(field, field_class):
            wrong = isinstance(value, bool) and bool not in types
            if wrong or not isinstance(value, types):
                return NOT_A.format(kind=kind, given=JSON_TYPE_NAMES.get(type(value), "another type"))
            return None
    return None


def _field_errors(field: serializers.Field, value) -> list | dict | None:
    """The field's type error, or for a list of the right type its items' ({index: [message]}, as
    DRF nests a ListField's errors): `tags: [0]` is refused rather than stored as "0"."""
    message = _type_error(field, value)
    if message:
        return [message]
    if isinstance(field, serializers.ListField) and isinstance(value, list):
        if field.max_length is not None and len(value) > field.max_length:
            return [field.error_messages["max_length"].format(max_length=field.max_length)]  # before 100,000 items
        items = {k: [item_message] for k, item in enumerate(value) if (item_message := _type_error(field.child, item))}
        return items or None
    return None


class StrictTypes:
    """Mixin for input serializers (first base): each writable field's JSON type checked first,
    and the items' of a list."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            errors = {
                field.field_name: found
                for field in self._writable_fields
                if field.field_name in data and (found := _field_errors(field, data[field.field_name]))
            }
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)
