"""The learner journey in a real browser, with JavaScript on and off."""

import re

import pytest

from roadmaps.models import MilestoneProgress
from tests.e2e.conftest import OffMachineRequests

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-Long-passphrase-42"


def sign_up(page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/signup/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    page.wait_for_url(f"{base}/")


def overall_percent(page) -> int:
    return int(page.locator("#overall-progress").get_attribute("aria-valuenow"))


def journey(page, base: str, username: str, artifacts, suffix: str) -> None:
    sign_up(page, base, username)
    page.get_by_label("What do you want to learn?").fill("learn to juggle three balls")
    page.get_by_label("Physical").check()
    page.get_by_role("button", name="Make my roadmap").click()
    page.wait_for_url(re.compile(r".*/roadmaps/[0-9a-f-]+/$"))
    assert page.get_by_role("heading", name="Juggle three balls", level=1).is_visible()
    assert overall_percent(page) == 0

    milestone = page.locator("#milestone-m1-2")
    target = int(re.search(r"of (\d+) done", milestone.locator(".reps").inner_text()).group(1))
    milestone.get_by_role("button", name="Start").click()
    page.locator("#milestone-m1-2 .badge[data-status=in_progress]").wait_for()
    for n in range(target):
        milestone = page.locator("#milestone-m1-2")
        milestone.locator("summary", has_text="Log practice").click()
        milestone.get_by_label("What did you do?").fill(f"Slow cascade, round {n + 1}")
        milestone.get_by_label("Minutes").fill("10")
        milestone.get_by_role("button", name="Log practice").click()
        page.locator("#milestone-m1-2 .reps", has_text=f"{n + 1} of {target} done").wait_for()
    page.locator("#milestone-m1-2 .badge[data-status=completed]").wait_for()
    assert overall_percent(page) > 0
    assert MilestoneProgress.objects.get(milestone_id="m1-2", deconstruction__owner__username=username).status == (
        "completed"
    )
    page.screenshot(path=str(artifacts / f"roadmap-{suffix}.png"), full_page=True)
    page.goto(f"{base}/")
    assert page.locator(".roadmap-card").count() == 1
    page.screenshot(path=str(artifacts / f"my-roadmaps-{suffix}.png"), full_page=True)


def test_the_learner_journey_with_javascript(browser, live_server, artifacts):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    outside = OffMachineRequests()
    outside.watch(page, live_server.url)
    journey(page, live_server.url, "js-learner", artifacts, "js")
    assert page.evaluate("typeof htmx") == "object"
    assert outside == []
    context.close()


def test_the_learner_journey_without_javascript(browser, live_server, artifacts):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, java_script_enabled=False)
    page = context.new_page()
    journey(page, live_server.url, "nojs-learner", artifacts, "nojs")
    context.close()


@pytest.mark.parametrize("width", [390, 1280])
def test_the_roadmap_page_fits_the_screen(browser, live_server, artifacts, width):
    context = browser.new_context(viewport={"width": width, "height": 844})
    page = context.new_page()
    sign_up(page, live_server.url, f"screen-{width}")
    page.get_by_label("What do you want to learn?").fill("learn to play the ukulele")
    page.get_by_role("button", name="Make my roadmap").click()
    page.wait_for_url(re.compile(r".*/roadmaps/[0-9a-f-]+/$"))
    page.locator("#milestone-m1-1 summary", has_text="Log practice").click()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page is {overflow}px wider than a {width}px screen"
    font_size = page.evaluate("parseFloat(getComputedStyle(document.querySelector('.do-this-now')).fontSize)")
    assert font_size >= 14
    page.screenshot(path=str(artifacts / f"roadmap-{width}px.png"), full_page=True)
    context.close()


def test_the_api_docs_load_with_no_request_leaving_the_machine(browser, live_server):
    page = browser.new_page()
    outside = OffMachineRequests()
    outside.watch(page, live_server.url)
    page.goto(f"{live_server.url}/api/docs/")
    page.locator(".opblock-summary-path", has_text="/api/events/").first.wait_for()
    assert outside == []
    page.close()
