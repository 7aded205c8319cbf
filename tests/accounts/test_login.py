"""Login lockout: per (username, address) as before, plus a cap per username across addresses,
with the client address read as PROXY_COUNT says."""

import pytest

from accounts.addresses import client_address
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "right-password-123"


@pytest.fixture
def axes_on(settings):
    settings.AXES_ENABLED = True
    settings.LOGIN_FAILURES_PER_ADDRESS = 5
    settings.LOGIN_FAILURES_PER_USERNAME = 12
    return settings


def attempt(client, password: str, address: str, forwarded: str | None = None, username: str = "target"):
    extra = {"REMOTE_ADDR": address}
    if forwarded:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return client.post("/accounts/login/", {"username": username, "password": password}, **extra)


def test_one_address_is_locked_after_the_per_address_limit(client, axes_on):
    UserFactory(username="target", password=PASSWORD)
    statuses = [attempt(client, "wrong", "203.0.113.1").status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 200, 429]
    assert attempt(client, PASSWORD, "203.0.113.1").status_code == 429
    assert "_auth_user_id" not in client.session
    # The owner, from another address, still gets in.
    assert attempt(client, PASSWORD, "203.0.113.99").status_code == 302


def test_guesses_spread_over_many_addresses_lock_the_username(client, axes_on):
    UserFactory(username="target", password=PASSWORD)
    statuses = [attempt(client, "wrong", f"198.51.100.{n}").status_code for n in range(14)]
    # Twelve failures from twelve addresses reach the cap of 12; no address came near its limit of 5.
    assert statuses[:11] == [200] * 11 and statuses[11:] == [429] * 3
    locked = attempt(client, PASSWORD, "198.51.100.200")
    assert locked.status_code == 429 and "_auth_user_id" not in client.session
    # Other usernames are not affected.
    UserFactory(username="bystander", password=PASSWORD)
    assert attempt(client, PASSWORD, "198.51.100.1", username="bystander").status_code == 302


def test_behind_a_proxy_the_lock_follows_the_client_not_the_proxy(client, axes_on):
    axes_on.PROXY_COUNT = 1
    UserFactory(username="target", password=PASSWORD)
    for _ in range(5):
        attempt(client, "wrong", "10.0.0.1", forwarded="203.0.113.1")
    assert attempt(client, PASSWORD, "10.0.0.1", forwarded="203.0.113.1").status_code == 429
    # Same proxy, another client: not locked out by the first one's failures.
    assert attempt(client, PASSWORD, "10.0.0.1", forwarded="203.0.113.2").status_code == 302


def test_a_forged_forwarded_for_does_not_give_fresh_addresses(client, axes_on):
    axes_on.PROXY_COUNT = 1
    UserFactory(username="target", password=PASSWORD)
    for n in range(5):
        attempt(client, "wrong", "10.0.0.1", forwarded=f"192.0.2.{n}, 203.0.113.1")
    assert attempt(client, PASSWORD, "10.0.0.1", forwarded="192.0.2.77, 203.0.113.1").status_code == 429


@pytest.mark.parametrize(
    ("count", "remote", "forwarded", "expected"),
    [
        (0, "10.0.0.1", "203.0.113.1", "10.0.0.1"),
        (1, "10.0.0.1", "203.0.113.1", "203.0.113.1"),
        (1, "10.0.0.1", "1.2.3.4, 203.0.113.1", "203.0.113.1"),
        (2, "10.0.0.1", "203.0.113.1, 10.0.0.2", "203.0.113.1"),
        (2, "10.0.0.1", "203.0.113.1", "203.0.113.1"),
        (1, "10.0.0.1", "", "10.0.0.1"),
        (1, "10.0.0.1", "not-an-address", "10.0.0.1"),
    ],
)
def test_the_client_address(rf, settings, count, remote, forwarded, expected):
    settings.PROXY_COUNT = count
    request = rf.get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_address(request) == expected
