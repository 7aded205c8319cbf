"""Fixtures every test may use. Staff are pytest-django's `admin_user`, signed in by its
`admin_client`; learners are `user` and `user_client` (an API client), made by tests/factories.py."""

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.transaction import Atomic, get_connection
from rest_framework.test import APIClient

from tests.factories import UserFactory


def pytest_collection_modifyitems(config, items):
    # The `postgres` marker names features that only exist on PostgreSQL
    # (triggers, partitions, full-text indexes); on SQLite they are skipped
    # by name, never silently: the PostgreSQL run of the suite is mandatory.
    if connection.vendor != "postgresql":
        skip = pytest.mark.skip(reason="PostgreSQL-only feature (run with DATABASE_URL=postgres://…)")
        for item in items:
            if "postgres" in item.keywords:
                item.add_marker(skip)


def _at_the_tests_top_level(connection) -> bool:
    return connection.in_atomic_block and all(getattr(b, "_from_testcase", False) for b in connection.atomic_blocks)


@pytest.fixture(autouse=True)
def on_commit_at_the_tests_top_level(monkeypatch):
    """Code a test calls directly runs, in production, outside any transaction, where
    `transaction.on_commit` runs its callback at once (recording events folds them after its insert
    commits), and a block the code opens itself commits when it ends. pytest-django runs a test inside
    a transaction that never commits, where those callbacks would never run. Here a callback
    registered while only the test's own atomic blocks are open runs at once, and one registered
    inside a block the code opened runs when that block ends without error — as at its commit.

    It reads Django's private mark of a test case's blocks (`_from_testcase`) and its list of
    pending callbacks (`run_on_commit`): if Django renames them, the tests of folding after a
    recording fail."""
    deferred = BaseDatabaseWrapper.on_commit
    atomic_exit = Atomic.__exit__

    def on_commit(self, func, robust=False):
        if _at_the_tests_top_level(self):
            func()
            return
        deferred(self, func, robust)

    def exit_as_a_commit(self, exc_type, exc_value, traceback):
        result = atomic_exit(self, exc_type, exc_value, traceback)
        database = get_connection(self.using)
        if exc_type is None and _at_the_tests_top_level(database) and database.run_on_commit:
            pending, database.run_on_commit = database.run_on_commit, []
            for _savepoints, func, _robust in pending:
                func()
        return result

    monkeypatch.setattr(BaseDatabaseWrapper, "on_commit", on_commit)
    monkeypatch.setattr(Atomic, "__exit__", exit_as_a_commit)


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def user_client(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def user_registers_skills(user):
    """`user` may register skills from telemetry, as an operator's service account: for tests of
    ingestion itself, whose events name skills nobody registered (tests/skills/test_registry_guard.py
    says what a learner's telemetry may not do)."""
    user.user_permissions.add(Permission.objects.get(codename="register_skills", content_type__app_label="skills"))
    return user
