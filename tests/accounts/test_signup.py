"""Sign-up: throttled per client address (PROXY_COUNT read like everywhere else) and closable."""

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache

from accounts.views import SIGNUP_CLOSED

pytestmark = pytest.mark.django_db
User = get_user_model()


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


def signup(client, n: int, **extra):
    data = {"username": f"mass{n}", "password1": "a-long-passphrase-42", "password2": "a-long-passphrase-42"}
    client.logout()
    return client.post("/accounts/signup/", data, **extra)


def test_mass_sign_up_from_one_address_is_throttled(client, settings):
    settings.SIGNUP_THROTTLE_RATE = "3/hour"
    statuses = [signup(client, n, REMOTE_ADDR="203.0.113.7").status_code for n in range(5)]
    assert statuses == [302, 302, 302, 429, 429]
    assert User.objects.filter(username__startswith="mass").count() == 3
    # Another address is not affected.
    assert signup(client, 9, REMOTE_ADDR="203.0.113.8").status_code == 302


def test_a_forged_forwarded_for_header_does_not_dodge_the_throttle(client, settings):
    settings.SIGNUP_THROTTLE_RATE = "2/hour"
    settings.PROXY_COUNT = 1
    forged = [
        signup(client, n, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}, 203.0.113.7").status_code
        for n in range(4)
    ]
    assert forged == [302, 302, 429, 429]
    assert User.objects.filter(username__startswith="mass").count() == 2


def test_behind_a_proxy_each_client_address_counts_apart(client, settings):
    settings.SIGNUP_THROTTLE_RATE = "1/hour"
    settings.PROXY_COUNT = 1
    first = signup(client, 1, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.7")
    second = signup(client, 2, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.8")
    assert (first.status_code, second.status_code) == (302, 302)


def test_closed_sign_up_refuses_and_creates_nothing(client, settings):
    settings.SIGNUP_OPEN = False
    page = client.get("/accounts/signup/")
    assert page.status_code == 403 and SIGNUP_CLOSED in page.content.decode()
    assert signup(client, 1).status_code == 403
    assert not User.objects.filter(username="mass1").exists()
    assert "/accounts/signup/" not in client.get("/accounts/login/").content.decode()


def test_open_sign_up_is_offered_and_works(client):
    assert "/accounts/signup/" in client.get("/accounts/login/").content.decode()
    assert signup(client, 1).status_code == 302
    assert User.objects.filter(username="mass1").exists()
