"""Fixtures every test may use. Staff are pytest-django's `admin_user`, signed in by its
`admin_client`; learners are `user` and `user_client` (an API client), made by tests/factories.py."""

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
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
