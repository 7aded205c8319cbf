"""Two lookups, registered by the skills app (`SkillsConfig.ready`):

- `has_element`, on JSON fields: a JSON list column holds a value as one of its elements
  (feedback tags, mined skill sets): `Feedback.objects.filter(tags__has_element="slow")`;
- `one_of`, on every field: the column equals one of a list's values, the list bound as ONE
  parameter, a JSON document (`UsageEvent.objects.filter(id__one_of=ids)`). `__in` binds a
  parameter per value, and psycopg rewrites a query's placeholders in Python before sending it:
  for the thousands of ids ingestion folds at once, that rewrite cost more than the query. A
  PostgreSQL array parameter is no cheaper (psycopg quotes it element by element in Python);
  msgspec encodes the JSON in C, and the server unpacks it.
"""

from __future__ import annotations

import msgspec
from django.db import NotSupportedError
from django.db.models import Field, JSONField, Lookup

NOT_A_STRING = "has_element compares strings: got {type}."


class HasElement(Lookup):
    """JSON containment (`column @> '["value"]'`) where the backend has it — PostgreSQL, where a
    GIN index on the column serves it — through Django's own `contains` lookup.

    SQLite has no JSON containment (Django does not offer `contains` for JSONField there). The
    fallback asks SQLite's JSON1 table-valued function `json_each` for the list's elements and
    keeps the rows where one equals the value: exact and case-sensitive like containment, but read
    row by row (no index can serve it), which suits the embedded database's sizes. Elements of a
    value that is not a JSON list (an object's values, a scalar) match too; the columns this serves
    hold lists only.
    """

    lookup_name = "has_element"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        if not isinstance(self.rhs, str):
            raise TypeError(NOT_A_STRING.format(type=type(self.rhs).__name__))
        if connection.features.supports_json_field_contains:
            contains = self.lhs.output_field.get_lookup("contains")
            return compiler.compile(contains(self.lhs, [self.rhs]))
        if connection.vendor == "sqlite":
            lhs, lhs_params = self.process_lhs(compiler, connection)
            return f"EXISTS (SELECT 1 FROM json_each({lhs}) WHERE json_each.value = %s)", [*lhs_params, self.rhs]
        raise NotSupportedError(f"has_element is not implemented for {connection.vendor}.")


class OneOf(Lookup):
    """The values as one JSON list, unpacked by `json_array_elements_text` and cast to the column's
    type on PostgreSQL (so each value is prepared as the field's Python value), by `json_each` on
    SQLite (each value prepared for the database, as `__in` would)."""

    lookup_name = "one_of"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        sql, params = one_of_sql(lhs, self.lhs.output_field, self.rhs, connection)
        return sql, [*lhs_params, *params]


def one_of_sql(column_sql: str, field: Field, values, connection) -> tuple[str, list]:
    """`column_sql` equals one of `values` (of `field`), as SQL and its one parameter: the lookup's
    condition, for SQL written by hand."""
    if connection.vendor == "postgresql":
        document = msgspec.json.encode([field.get_prep_value(value) for value in values]).decode()
        unpacked = f"ARRAY(SELECT json_array_elements_text(%s::json)::{field.cast_db_type(connection)})"
        return f"{column_sql} = ANY({unpacked})", [document]
    if connection.vendor == "sqlite":
        document = msgspec.json.encode([field.get_db_prep_value(value, connection) for value in values]).decode()
        return f"{column_sql} IN (SELECT value FROM json_each(%s))", [document]
    raise NotSupportedError(f"one_of is not implemented for {connection.vendor}.")


def register() -> None:
    JSONField.register_lookup(HasElement)
    Field.register_lookup(OneOf)
