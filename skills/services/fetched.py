"""A query's rows fetched now, turned into model instances later.

Fetching needs the database connection; building the instances (decoding JSON columns,
running the fields' converters) does not. Ingestion fetches the rows its roll-ups
read-modify-write before the COPY and builds their instances while the connection is
busy with it.
"""

from __future__ import annotations

from django.db import connections


class FetchedRows:
    """The rows of a model queryset that selects every concrete field (no values(), no only())."""

    def __init__(self, queryset) -> None:
        self.model = queryset.model
        self.db = queryset.db
        # The compiler is Django's own: the SQL (with FOR UPDATE, when asked) and converters the
        # queryset would use.
        self.compiler = queryset.query.get_compiler(using=self.db)
        sql, params = self.compiler.as_sql()
        self.columns = [select[0] for select in self.compiler.select[: self.compiler.col_count]]
        self.attnames = [column.target.attname for column in self.columns]
        with connections[self.db].cursor() as cursor:
            cursor.execute(sql, params)
            self.rows = cursor.fetchall()

    def column(self, attname: str) -> list:
        """One column's raw values, without building instances."""
        index = self.attnames.index(attname)
        return [row[index] for row in self.rows]

    def instances(self) -> list:
        converters = self.compiler.get_converters(self.columns)
        rows = self.compiler.apply_converters(self.rows, converters) if converters else self.rows
        return [self.model.from_db(self.db, self.attnames, list(row)) for row in rows]
