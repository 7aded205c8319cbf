"""The scope check every API view runs (in DEFAULT_PERMISSION_CLASSES, and beside any view's own)."""

from __future__ import annotations

from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission

from .models import APIKey
from .scopes import operation_name, operation_scope, scope_allows

NO_SCOPE_RULE = "No API key may call this operation ({operation}): it has no scope rule."
SCOPE_REFUSED = "This API key's scope is {scope}; {operation} needs a {needed} key (or a write key)."


class KeyScopeAllows(BasePermission):
    """A request made with an API key passes when the key's scope covers the operation's; other
    requests (a signed-in session) are the account itself."""

    def has_permission(self, request, view) -> bool:
        key = request.auth
        if not isinstance(key, APIKey):
            return True
        needed = operation_scope(view, request.method)
        operation = operation_name(view, request.method)
        if needed is None:
            raise PermissionDenied(NO_SCOPE_RULE.format(operation=operation))
        if not scope_allows(key.scope, needed):
            raise PermissionDenied(SCOPE_REFUSED.format(scope=key.scope, operation=operation, needed=needed))
        return True
