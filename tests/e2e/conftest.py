"""Headless Chromium (Debian's package) driven by Playwright, against pytest-django's live server."""

import os
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make are synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        # A missing browser is a broken set-up, not a reason to pass: say how to fix it, or opt out explicitly.
        message = f"{CHROMIUM} is missing: install Debian's chromium (bash .ci/browser), or set SKIP_E2E=1"
        if os.environ.get("SKIP_E2E"):
            pytest.skip(message)
        pytest.fail(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


class OffMachineRequests(list):
    """Every request a page makes that would leave the live server."""

    def watch(self, page, origin: str) -> None:
        page.on(
            "request", lambda request: None if request.url.startswith((origin, "data:")) else self.append(request.url)
        )
