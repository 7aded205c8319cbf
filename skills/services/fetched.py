"""Queries sent together, their rows turned into model instances later.

Ingestion needs several reads before its COPY (the metrics rows it locks, the versions,
the stored roll-up rows); on PostgreSQL `fetch_together` sends them in one round trip
(pipeline mode). Fetching needs the connection; building instances (decoding JSON
columns, running the fields' converters) does not, so ingestion builds them while the
connection is busy with the COPY.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import TypeVar

import psycopg
from django.db import connection, connections
from django.db.models import BooleanField, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.query import ModelIterable

T = TypeVar("T")


class PendingRows:
    """A query whose rows are fetched later, by `fetch` or `fetch_together`."""

    def __init__(self, sql: str, params=(), *, using: str = "default") -> None:
        self.sql = sql
        self.params = list(params)
        self.db = using
        self._rows: list[tuple] | None = None
        self._result = None  # a psycopg cursor holding the result, not yet turned into tuples

    @property
    def rows(self) -> list[tuple]:
        if self._rows is None and self._result is not None:
            # Loading rows reads the result already received: no query, and the connection may
            # be busy meanwhile (ingestion builds the instances during its COPY).
            self._rows = self._result.fetchall()
            self._result.close()
            self._result = None
        return self._rows

    @rows.setter
    def rows(self, rows: list[tuple]) -> None:
        self._rows, self._result = rows, None

    @property
    def row_count(self) -> int:
        """The number of rows, without loading them."""
        return self._result.rowcount if self._rows is None and self._result is not None else len(self.rows)

    def fetch(self) -> PendingRows:
        fetch_together([self])
        return self


class FetchedRows(PendingRows):
    """The rows of a model queryset that selects every concrete field (no values(), no only())."""

    def __init__(self, queryset, *, compiled: tuple | None = None) -> None:
        """`compiled`: the queryset's (compiler, sql, params), when compiled already."""
        self.model = queryset.model
        # The compiler is Django's own: the SQL (with FOR UPDATE, when asked) and converters the
        # queryset would use.
        self.compiler, sql, params = compiled or _compile(queryset)
        super().__init__(sql, params, using=queryset.db)
        self.columns = [select[0] for select in self.compiler.select[: self.compiler.col_count]]
        self.attnames = [column.target.attname for column in self.columns]

    def column(self, attname: str) -> list:
        """One column's raw values, without building instances."""
        index = self.attnames.index(attname)
        return [row[index] for row in self.rows]

    def instances(self) -> list:
        converters = self.compiler.get_converters(self.columns)
        rows = self.compiler.apply_converters(self.rows, converters) if converters else self.rows
        return [self.model.from_db(self.db, self.attnames, list(row)) for row in rows]


def _compile(queryset) -> tuple:
    compiler = queryset.query.get_compiler(using=queryset.db)
    return (compiler, *compiler.as_sql())


class ListParameter:
    """A list bound as one parameter: the query's SQL is then the same whatever the list's
    length, so it is compiled once and, on PostgreSQL, prepared by psycopg."""

    def __init__(self, name: str) -> None:
        self.name = name

    def bind(self, values: Iterable, vendor: str):
        if vendor == "postgresql":
            return list(values)
        return json.dumps(list(values), default=str)  # unpacked by json_each; dates as ISO text


def one_of(model, attname: str, name: str) -> RawSQL:
    """A filter: the model's column `attname` holds one of the values of the list bound to `name`."""
    quote = connection.ops.quote_name
    column = f"{quote(model._meta.db_table)}.{quote(attname)}"
    if connection.vendor == "postgresql":
        return RawSQL(f"{column} = ANY(%s)", [ListParameter(name)], output_field=BooleanField())
    return RawSQL(f"{column} IN (SELECT value FROM json_each(%s))", [ListParameter(name)], output_field=BooleanField())


class CompiledQuery:
    """A queryset filtered with `one_of`, compiled by Django once (on first use: a FOR UPDATE
    queryset compiles only inside a transaction); each call binds new lists to it and returns
    its PendingRows (FetchedRows for a queryset of model instances), not yet fetched."""

    def __init__(self, build: Callable[[], QuerySet]) -> None:
        self.build = build
        self.compiled: tuple | None = None

    def __call__(self, **lists: Iterable) -> PendingRows:
        if self.compiled is None:
            queryset = self.build()
            self.compiled = (queryset, _compile(queryset))
        queryset, (compiler, sql, params) = self.compiled
        vendor = compiler.connection.vendor
        bound = [p.bind(lists[p.name], vendor) if isinstance(p, ListParameter) else p for p in params]
        if queryset._iterable_class is ModelIterable:
            return FetchedRows(queryset, compiled=(compiler, sql, bound))
        return PendingRows(sql, bound, using=queryset.db)


def fetch_together(queries: list[PendingRows | str], while_waiting: Callable[[], T] | None = None) -> T | None:
    """Runs the queries in order, in the current transaction, and gives them their `rows` (on
    PostgreSQL turned into tuples on first use); a plain string is a statement whose result is
    not needed. On PostgreSQL all of them travel in one round trip, and `while_waiting` (which
    must not query) runs while the server executes them. Returns what `while_waiting` returns."""
    if not queries:
        return while_waiting() if while_waiting else None
    using = next((query.db for query in queries if isinstance(query, PendingRows)), "default")
    wrapper = connections[using]
    if wrapper.vendor != "postgresql":
        with wrapper.cursor() as cursor:
            for query in queries:
                if isinstance(query, str):
                    cursor.execute(query)
                else:
                    cursor.execute(query.sql, query.params)
                    query.rows = cursor.fetchall()
        return while_waiting() if while_waiting else None
    wrapper.ensure_connection()
    pg = wrapper.connection
    # A cursor for each query: in pipeline mode a cursor keeps only its last result. Server-side
    # binding (psycopg.Cursor): pipeline mode needs the extended protocol.
    with wrapper.wrap_database_errors:
        with pg.pipeline():
            cursors = []
            for query in queries:
                cursor = psycopg.Cursor(pg)
                cursors.append(cursor)
                if isinstance(query, str):
                    cursor.execute(query)
                else:
                    cursor.execute(query.sql, query.params)
            # The queries are sent; the pipeline's end waits for their results.
            result = while_waiting() if while_waiting else None
    for query, cursor in zip(queries, cursors, strict=True):
        if isinstance(query, str):
            cursor.close()
        else:
            query._rows, query._result = None, cursor
    return result
