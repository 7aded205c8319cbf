"""`create_api_key` prints a new key of a scope for a user."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import APIKey

pytestmark = pytest.mark.django_db


def test_it_prints_a_key_that_works(user, capsys):
    call_command("create_api_key", user.username, "--scope", "ingest", "--expires-days", "30")
    secret = capsys.readouterr().out.strip()
    key = APIKey.objects.matching(secret)
    assert (key.user, key.scope, key.name) == (user, "ingest", "ingest key")
    assert key.expiry_date is not None


@pytest.mark.parametrize(
    "arguments",
    [["nobody", "--scope", "read"], ["{user}", "--scope", "read", "--expires-days", "0"]],
)
def test_bad_arguments_fail_and_make_nothing(user, arguments):
    with pytest.raises(CommandError):
        call_command("create_api_key", *[a.format(user=user.username) for a in arguments])
    assert not APIKey.objects.exists()
