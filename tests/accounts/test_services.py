"""Making and revoking API keys: the secret is returned once and only its hash is stored."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import APIKey
from accounts.services import (
    KEY_ALREADY_REVOKED,
    KEY_EXPIRY_PAST,
    KEY_NAME_REQUIRED,
    api_key_create,
    api_key_mark_used,
    api_key_revoke,
)

pytestmark = pytest.mark.django_db


def test_a_new_key_is_returned_once_and_stored_only_as_a_hash(user):
    key, secret = api_key_create(user=user, name="laptop: OTLP", scope="ingest")
    stored = APIKey.objects.get(pk=key.pk)
    prefix, _, rest = secret.partition(".")
    assert (stored.prefix, stored.scope, stored.user, stored.name) == (prefix, "ingest", user, "laptop: OTLP")
    assert len(rest) >= 32
    assert secret not in {stored.pk, stored.hashed_key} and rest not in stored.hashed_key
    assert stored.hashed_key.startswith("sha512$$")
    assert APIKey.objects.matching(secret) == stored


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"name": "  ", "scope": "read"}, "name", KEY_NAME_REQUIRED),
        ({"name": "x", "scope": "admin"}, "scope", None),
        ({"name": "x", "scope": "read", "expires_at": timezone.now() - timedelta(seconds=1)}, "expiry_date", None),
        ({"name": "x" * 51, "scope": "read"}, "name", None),
    ],
)
def test_a_bad_key_is_refused_naming_the_field_and_nothing_is_stored(user, fields, field, message):
    with pytest.raises(ValidationError) as refused:
        api_key_create(user=user, **fields)
    assert field in refused.value.message_dict
    if message:
        assert refused.value.message_dict[field] == [message]
    if field == "expiry_date":
        assert refused.value.message_dict[field] == [KEY_EXPIRY_PAST]
    assert not APIKey.objects.exists()


def test_the_database_refuses_a_scope_outside_the_four(user):
    key, _ = api_key_create(user=user, name="x", scope="read")
    with pytest.raises(IntegrityError), transaction.atomic():
        APIKey.objects.filter(pk=key.pk).update(scope="admin")


def test_a_revoked_or_expired_key_matches_nothing(user):
    revoked, revoked_secret = api_key_create(user=user, name="old", scope="write")
    expiring, expiring_secret = api_key_create(
        user=user, name="soon", scope="read", expires_at=timezone.now() + timedelta(days=1)
    )
    api_key_revoke(key=revoked)
    APIKey.objects.filter(pk=expiring.pk).update(expiry_date=timezone.now() - timedelta(seconds=1))
    assert APIKey.objects.matching(revoked_secret) is None
    assert APIKey.objects.matching(expiring_secret) is None
    with pytest.raises(ValidationError) as again:
        api_key_revoke(key=revoked)
    assert again.value.messages == [KEY_ALREADY_REVOKED]


def test_a_guessed_secret_with_a_real_prefix_matches_nothing(user):
    _key, secret = api_key_create(user=user, name="x", scope="write")
    prefix = secret.partition(".")[0]
    assert APIKey.objects.matching(f"{prefix}.{'a' * 32}") is None
    assert APIKey.objects.matching(prefix) is None
    assert APIKey.objects.matching("") is None


def test_last_use_is_written_at_most_once_a_minute(user, django_assert_num_queries):
    key, _ = api_key_create(user=user, name="x", scope="write")
    with django_assert_num_queries(1):  # UPDATE last_used_at
        api_key_mark_used(key=key)
    first = APIKey.objects.get(pk=key.pk).last_used_at
    with django_assert_num_queries(0):
        api_key_mark_used(key=key)
    assert first is not None and APIKey.objects.get(pk=key.pk).last_used_at == first
