"""API keys in the admin: made for a user with the secret shown once, listed without it, revoked in bulk."""

import re

import pytest

from accounts.models import APIKey
from accounts.services import api_key_create

pytestmark = pytest.mark.django_db
SHOWN = re.compile(r"is: ([A-Za-z0-9]{8}\.[A-Za-z0-9]+) ")


def test_staff_make_a_key_for_a_user_and_see_its_secret_once(admin_client, user):
    response = admin_client.post(
        "/admin/accounts/apikey/add/", {"user": user.pk, "name": "ci: pull", "scope": "pull"}, follow=True
    )
    assert response.status_code == 200
    secret = SHOWN.search(response.content.decode()).group(1)
    key = APIKey.objects.get()
    assert (key.user, key.name, key.scope) == (user, "ci: pull", "pull")
    assert APIKey.objects.matching(secret) == key
    for page in ("/admin/accounts/apikey/", f"/admin/accounts/apikey/{key.pk}/change/"):
        shown = admin_client.get(page)
        assert shown.status_code == 200 and secret not in shown.content.decode(), page
        assert key.prefix in shown.content.decode()


def test_a_key_with_an_expiry_in_the_past_is_refused_in_the_form(admin_client, user):
    response = admin_client.post(
        "/admin/accounts/apikey/add/",
        {"user": user.pk, "name": "x", "scope": "read", "expiry_date_0": "2001-01-01", "expiry_date_1": "00:00:00"},
    )
    assert response.status_code == 200 and "The expiry must be in the future." in response.content.decode()
    assert not APIKey.objects.exists()


def test_staff_revoke_keys_in_bulk(admin_client, user):
    first, _ = api_key_create(user=user, name="a", scope="write")
    second, _ = api_key_create(user=user, name="b", scope="ingest")
    response = admin_client.post(
        "/admin/accounts/apikey/", {"action": "revoke_keys", "_selected_action": [first.pk, second.pk]}, follow=True
    )
    assert response.status_code == 200
    assert list(APIKey.objects.values_list("revoked", flat=True)) == [True, True]


def test_a_key_cannot_be_changed_once_made(admin_client, user):
    key, _ = api_key_create(user=user, name="a", scope="read")
    response = admin_client.post(f"/admin/accounts/apikey/{key.pk}/change/", {"name": "b", "scope": "write"})
    assert response.status_code == 403
    key.refresh_from_db()
    assert (key.name, key.scope) == ("a", "read")


def test_learners_cannot_reach_the_keys_admin(client, user):
    client.force_login(user)
    assert client.get("/admin/accounts/apikey/").status_code == 302
