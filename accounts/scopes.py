"""What an API key may do: its scope, and the scope each API operation needs.

Every view of the API declares `key_scopes`, a mapping from its operations — a viewset's action
(`list`, `create`, `content`…) or an APIView's HTTP method (`get`, `post`) — to the narrowest
scope that may perform it. An operation a view does not list is refused to every key (deny by
default), and `tests/accounts/test_key_scopes.py` fails for any operation of the schema without a
rule. Requests signed in with a session (the browser, the admin) are the account itself and are
not limited by scopes.
"""

from __future__ import annotations

from django.db import models


class Scope(models.TextChoices):
    INGEST = "ingest", "ingest: post usage events, OTLP logs and feedback"
    PULL = "pull", "pull: read available skills, their content and bundles"
    READ = "read", "read: read everything the account may read"
    WRITE = "write", "write: everything the account may do"


# The operations (named by the scope they need) a key of each scope may perform.
SCOPE_COVERS: dict[str, frozenset[str]] = {
    Scope.INGEST: frozenset({Scope.INGEST}),
    Scope.PULL: frozenset({Scope.PULL}),
    Scope.READ: frozenset({Scope.READ, Scope.PULL}),
    Scope.WRITE: frozenset({Scope.INGEST, Scope.PULL, Scope.READ, Scope.WRITE}),
}

# DRF answers OPTIONS with the view's metadata (action "metadata" on viewsets): a read.
METADATA_OPERATIONS = {"metadata", "options"}


def operation_name(view, method: str) -> str | None:
    """The name a view's `key_scopes` uses for this request: the viewset action, else the method."""
    action = getattr(view, "action", None)
    if action:
        return action
    method = method.lower()
    return "get" if method == "head" else method


def operation_scope(view, method: str) -> str | None:
    """The scope the operation needs, or None when the view declares no rule for it."""
    operation = operation_name(view, method)
    if operation in METADATA_OPERATIONS:
        return Scope.READ
    return getattr(view, "key_scopes", {}).get(operation)


def scope_allows(key_scope: str, needed: str) -> bool:
    """Whether a key of `key_scope` may perform an operation that needs `needed`."""
    return needed in SCOPE_COVERS.get(key_scope, frozenset())


def scope_rules(**operations_by_scope: tuple[str, ...]) -> dict[str, str]:
    """A view's `key_scopes` written by scope: `scope_rules(read=("list",), write=("create",))`."""
    rules: dict[str, str] = {}
    for scope, operations in operations_by_scope.items():
        for operation in operations:
            rules[operation] = Scope(scope)
    return rules
