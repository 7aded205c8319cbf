"""Every operation of the API's OpenAPI schema, with the view that answers it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from django.urls import resolve
from drf_spectacular.generators import SchemaGenerator

METHODS = ("get", "post", "put", "patch", "delete")
PARAMETER = re.compile(r"\{[^}]+\}")
# Matches every path parameter's pattern (ids are UUIDs, integers or slugs).
PLACEHOLDER = "00000000-0000-0000-0000-000000000000"


@dataclass(frozen=True)
class Operation:
    path: str  # as the schema writes it, e.g. /api/roadmaps/{id}/
    method: str  # lower case

    @property
    def view(self):
        return resolve(PARAMETER.sub(PLACEHOLDER, self.path)).func

    @property
    def name(self) -> str:
        """What the view's `key_scopes` calls it: the viewset action, else the method."""
        actions = getattr(self.view, "actions", None)
        return actions[self.method] if actions else self.method

    def __str__(self) -> str:
        return f"{self.method.upper()} {self.path}"


@cache
def schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def schema_operations() -> list[Operation]:
    return [
        Operation(path, method)
        for path, item in sorted(schema()["paths"].items())
        for method in METHODS
        if method in item
    ]
