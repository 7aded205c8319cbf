"""Fixtures every test may use. Staff are pytest-django's `admin_user`, signed in by its
`admin_client`; learners are `user` and `user_client` (an API client), made by tests/factories.py."""

import pytest
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
