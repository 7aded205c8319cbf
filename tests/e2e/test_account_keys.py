"""The account's API keys page in a real browser: make a key (shown once), see it listed by its
prefix, revoke it; at 390 px and 1280 px with no sideways scrolling."""

import re

import pytest

from accounts.models import APIKey
from tests.factories import UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-Long-passphrase-42"


def log_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/")


def fits(page, artifacts, name: str) -> None:
    for width in (390, 1280):
        page.set_viewport_size({"width": width, "height": 844})
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{name} is {overflow}px wider than a {width}px screen"
        page.screenshot(path=str(artifacts / f"{name}-{width}px.png"), full_page=True)


def test_a_learner_makes_and_revokes_a_key(browser, live_server, artifacts):
    UserFactory(username="keyholder", password=PASSWORD)
    page = browser.new_page()
    log_in(page, live_server.url, "keyholder")
    page.get_by_role("link", name="API keys").click()
    page.get_by_label("Name").fill("laptop: OTLP exporter")
    page.get_by_role("radio", name=re.compile("ingest")).check()
    page.get_by_label("Expires").select_option("90")
    page.get_by_role("button", name="Make the key").click()
    secret = page.locator("#new-key").inner_text()
    key = APIKey.objects.get()
    assert APIKey.objects.matching(secret) == key and key.scope == "ingest"
    fits(page, artifacts, "account-keys-new")

    page.goto(f"{live_server.url}/accounts/keys/")
    assert secret not in page.content() and key.prefix in page.content()
    page.get_by_role("button", name="Revoke laptop: OTLP exporter").click()
    page.wait_for_url(f"{live_server.url}/accounts/keys/")
    assert "revoked" in page.locator("table.keys").inner_text()
    key.refresh_from_db()
    assert key.revoked
    fits(page, artifacts, "account-keys")
    page.close()
