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
def staff(db):
    return UserFactory(is_staff=True, is_superuser=True)


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def user_client(user):
    client = APIClient()
    client.force_authenticate(user)
    return client
