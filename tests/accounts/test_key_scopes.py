"""Every operation of the schema has a scope rule, and every view checks it: a new endpoint added
without one fails here (and refuses every key at run time)."""

import pytest
from rest_framework.test import APIClient
from rest_framework.views import APIView

from accounts.permissions import NO_SCOPE_RULE, KeyScopeAllows
from accounts.scopes import SCOPE_COVERS, Scope, operation_scope
from tests.accounts.schema_operations import schema, schema_operations
from tests.factories import api_key_of

OPERATIONS = schema_operations()


def test_the_schema_is_walked():
    assert len(OPERATIONS) > 40
    assert {op.method for op in OPERATIONS} == {"get", "post", "put", "patch", "delete"}


@pytest.mark.parametrize("operation", OPERATIONS, ids=str)
def test_every_operation_declares_the_scope_it_needs(operation):
    rules = getattr(operation.view.cls, "key_scopes", None)
    assert rules, f"{operation}: {operation.view.cls.__name__} has no key_scopes"
    assert operation.name in rules, f"{operation}: no scope rule for {operation.name!r} in key_scopes"
    assert rules[operation.name] in Scope.values


@pytest.mark.parametrize("operation", OPERATIONS, ids=str)
def test_every_view_checks_the_key_scope(operation):
    # As the router makes it for this operation: an action may set its own permission classes.
    view = operation.view.cls(**operation.view.initkwargs)
    view.action = operation.name
    assert any(isinstance(permission, KeyScopeAllows) for permission in view.get_permissions()), str(operation)


@pytest.mark.parametrize("operation", OPERATIONS, ids=str)
def test_only_safe_methods_are_reads(operation):
    needed = operation.view.cls.key_scopes[operation.name]
    if operation.method != "get":
        assert needed in {Scope.INGEST, Scope.WRITE}, str(operation)
    else:
        assert needed in {Scope.READ, Scope.PULL}, str(operation)


@pytest.mark.parametrize("operation", OPERATIONS, ids=str)
def test_every_operation_documents_the_refusal_of_a_key_without_its_scope(operation):
    responses = schema()["paths"][operation.path][operation.method]["responses"]
    assert {"401", "403"} <= set(responses), str(operation)


def test_each_scope_covers_what_the_issue_says():
    assert SCOPE_COVERS[Scope.INGEST] == {Scope.INGEST}
    assert SCOPE_COVERS[Scope.PULL] == {Scope.PULL}
    assert SCOPE_COVERS[Scope.READ] == {Scope.READ, Scope.PULL}
    assert SCOPE_COVERS[Scope.WRITE] == set(Scope.values)


class Unruled(APIView):
    def get(self, request):
        raise AssertionError("a key without a scope rule must not get here")


def test_an_operation_without_a_rule_refuses_every_key(rf, user):
    assert operation_scope(Unruled(), "GET") is None
    view = Unruled.as_view()
    request = rf.get("/unruled/", HTTP_AUTHORIZATION=f"Token {api_key_of(user, Scope.WRITE)}")
    response = view(request)
    response.render()
    assert response.status_code == 403
    assert response.data["detail"] == NO_SCOPE_RULE.format(operation="get")


def test_a_signed_in_session_is_not_limited_by_scopes(user):
    client = APIClient()
    client.force_login(user)
    assert client.get("/api/roadmaps/").status_code == 200
