"""DRF's plaintext tokens become hashed `write` keys: the same token keeps working, the plaintext
is gone from the database."""

import importlib
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection
from rest_framework.test import APIClient

from accounts.models import APIKey
from tests.factories import UserFactory, make_roadmap

MIGRATION = importlib.import_module("accounts.migrations.0002_drf_tokens_into_keys")
LEGACY = "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b"


def create_token_table() -> None:
    if MIGRATION.TOKEN_TABLE in connection.introspection.table_names():
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE {MIGRATION.TOKEN_TABLE} (key varchar(40) PRIMARY KEY, user_id integer NOT NULL,"
            " created timestamp with time zone NOT NULL)"
        )


@pytest.mark.django_db
def test_a_drf_token_becomes_a_hashed_write_key_that_keeps_working():
    owner, other = UserFactory(), UserFactory()
    make_roadmap(owner)
    create_token_table()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {MIGRATION.TOKEN_TABLE} (key, user_id, created) VALUES (%s, %s, %s), (%s, %s, %s)",
            [LEGACY, owner.pk, "2026-01-02T03:04:05Z", LEGACY[:8] + "f" * 32, other.pk, "2026-01-03T00:00:00Z"],
        )

    MIGRATION.drf_tokens_into_keys(apps, SimpleNamespace(connection=connection))

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {MIGRATION.TOKEN_TABLE}")
        assert cursor.fetchone() == (0,)
    key = APIKey.objects.get(user=owner)
    assert (key.scope, key.name, key.prefix) == ("write", MIGRATION.MIGRATED_KEY_NAME, LEGACY[:8])
    assert LEGACY not in key.pk + key.hashed_key
    assert key.created.year == 2026 and key.created.month == 1
    # The second token starts like the first: its label is the next free piece of it.
    assert APIKey.objects.get(user=other).prefix == "f" * 8
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {LEGACY}")
    assert client.get("/api/roadmaps/").data["count"] == 1


@pytest.mark.django_db
def test_a_database_without_the_token_table_migrates_nothing():
    if MIGRATION.TOKEN_TABLE in connection.introspection.table_names():
        pytest.skip("this database still has DRF's token table")
    MIGRATION.drf_tokens_into_keys(apps, SimpleNamespace(connection=connection))
    assert not APIKey.objects.exists()
