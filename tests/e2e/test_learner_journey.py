"""The learner journey in a real browser, with JavaScript on and off: start a juggling roadmap,
log practice in parts until a milestone completes, see today on the practice page's heat map,
correct a session, and look at every learner page at 390 px and 1280 px (no sideways scrolling)."""

import re

import pytest
from django.utils import timezone

from roadmaps.catalog import catalog
from roadmaps.models import MilestoneProgress
from tests.e2e.conftest import OffMachineRequests

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-Long-passphrase-42"
WIDTHS = (390, 1280)

# The goal the journey follows — the catalog's juggling plan — and its first milestone, which it
# practises (20 reps × 3 sets = 60, logged as 25 + 25 + 10).
JOURNEY_GOAL = "I want to learn to juggle"
JOURNEY_MILESTONE, JOURNEY_MILESTONE_TITLE = "one-ball-arc", "One-ball arc"
JOURNEY_PARTS = (25, 25, 10)
JOURNEY_ESTIMATE_MINUTES = 20
JOURNEY_ROADMAP_TITLE = catalog()["juggling"].title  # a matched goal's roadmap is named after its catalog plan


def start_the_goal(page, base: str, username: str) -> None:
    """The signed-up learner types the goal into My roadmaps and lands on the new roadmap."""
    page.goto(f"{base}/")
    page.get_by_label("What do you want to learn?").fill(JOURNEY_GOAL)
    page.get_by_role("button", name="Make my roadmap").click()
    page.wait_for_url(re.compile(r".*/roadmaps/[0-9a-f-]+/$"))


def sign_up(page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/signup/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    page.wait_for_url(f"{base}/")


def fits_and_is_captured(page, artifacts, name: str) -> None:
    """At each width: no sideways scrolling, and a full-page screenshot to look at."""
    current = page.viewport_size
    page.wait_for_load_state()
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 844})
        fits = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        assert fits, f"{name} is wider than a {width}px screen"
        brand, log_out = (page.locator(f"header {s}").bounding_box() for s in (".brand", "form button"))
        assert abs(_middle(brand) - _middle(log_out)) < 8, f"{name}: the log-out button wrapped below the brand"
        page.screenshot(path=str(artifacts / f"{name}-{width}px.png"), full_page=True)
    page.set_viewport_size(current)


def _middle(box: dict) -> float:
    return box["y"] + box["height"] / 2


def log_part(page, milestone, reps: int, n: int) -> None:
    details = milestone.locator("details.log")
    if details.get_attribute("open") is None:
        details.locator("summary").click()
    milestone.get_by_label("What did you do?").fill(f"Arcs, part {n}")
    milestone.get_by_label("Reps covered this session").fill(str(reps))
    milestone.get_by_label("Minutes practised").fill("6")
    milestone.get_by_role("button", name="Log practice").click()


def journey(page, base: str, username: str, artifacts, suffix: str) -> None:
    sign_up(page, base, username)
    fits_and_is_captured(page, artifacts, f"my-roadmaps-empty-{suffix}")
    start_the_goal(page, base, username)
    text = page.locator("main").inner_text()
    assert "balls" in text and "cascade" in text

    page.get_by_role("link", name=f"Continue: {JOURNEY_MILESTONE_TITLE}").click()
    assert page.url.endswith(f"#milestone-{JOURNEY_MILESTONE}")
    selector = f"#milestone-{JOURNEY_MILESTONE}"
    milestone = page.locator(selector)
    assert milestone.get_by_label("Type").input_value() == "drill"  # the plan's practice type
    assert milestone.get_by_label("Reps covered this session").input_value() == ""  # nothing assumed
    done, target = 0, sum(JOURNEY_PARTS)
    for n, reps in enumerate(JOURNEY_PARTS, 1):
        log_part(page, page.locator(selector), reps, n)
        done += reps
        page.locator(f"{selector} .notice", has_text=f"({done} of {target} reps done").wait_for()
        assert page.locator(f"{selector} .reps").inner_text() == f"{done} of {target} reps done"
        status = "completed" if done >= target else "in_progress"
        page.locator(f"{selector} .badge[data-status={status}]").wait_for()
    progress = MilestoneProgress.objects.get(milestone_id=JOURNEY_MILESTONE, deconstruction__owner__username=username)
    assert (progress.status, progress.practice_attempts, progress.practice_completions) == ("completed", 3, target)
    assert page.locator(f"{selector} .logged").inner_text() == "Logged: 18 min"
    assert f"Plan estimate: about {JOURNEY_ESTIMATE_MINUTES} min" in page.locator(f"{selector} .estimate").inner_text()
    fits_and_is_captured(page, artifacts, f"roadmap-{suffix}")

    page.get_by_role("link", name="Practice", exact=True).click()
    today = page.locator(f'.heatmap rect[data-date="{timezone.localdate().isoformat()}"]')
    assert today.get_attribute("class").endswith("today") and int(today.get_attribute("data-level")) >= 2
    assert page.locator("#minutes-today").inner_text() == "18 minutes"
    assert page.get_by_role("link", name=JOURNEY_MILESTONE_TITLE).count() == len(JOURNEY_PARTS)
    fits_and_is_captured(page, artifacts, f"practice-{suffix}")

    page.get_by_role("link", name="Edit Arcs, part 3").click()
    page.get_by_label("Reps covered this session").wait_for()  # the edit page, not the list it leaves
    fits_and_is_captured(page, artifacts, f"edit-practice-{suffix}")
    page.get_by_label("Reps covered this session").fill("1")
    page.get_by_role("button", name="Save changes").click()
    page.wait_for_url(f"{base}/practice/")
    progress.refresh_from_db()
    recounted = target - (JOURNEY_PARTS[-1] - 1)  # the last part now covers 1 rep: recounted, re-opened
    assert (progress.status, progress.practice_completions) == ("in_progress", recounted)

    page.goto(f"{base}/")
    fits_and_is_captured(page, artifacts, f"my-roadmaps-{suffix}")
    page.get_by_role("link", name=JOURNEY_ROADMAP_TITLE).click()
    page.get_by_role("link", name="Delete…").click()
    page.wait_for_url(re.compile(r".*/delete/$"))
    fits_and_is_captured(page, artifacts, f"delete-roadmap-{suffix}")
    page.get_by_role("button", name="Archive instead").click()
    page.get_by_role("link", name="Archived roadmaps (1)").click()
    page.wait_for_url(re.compile(r".*/archived/$"))
    fits_and_is_captured(page, artifacts, f"archived-{suffix}")
    page.get_by_role("button", name=re.compile("^Restore")).click()
    page.wait_for_url(re.compile(r".*/roadmaps/[0-9a-f-]+/$"))
    assert page.locator("h1").inner_text() == JOURNEY_ROADMAP_TITLE


def test_the_learner_journey_with_javascript(browser, live_server, artifacts):
    context = browser.new_context(viewport={"width": 390, "height": 844})
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
def test_a_roadmap_from_the_goal_form_fits_the_screen(browser, live_server, artifacts, width):
    context = browser.new_context(viewport={"width": width, "height": 844})
    page = context.new_page()
    sign_up(page, live_server.url, f"screen-{width}")
    page.get_by_label("What do you want to learn?").fill("learn to play the ukulele")
    page.get_by_role("button", name="Make my roadmap").click()
    page.wait_for_url(re.compile(r".*/roadmaps/[0-9a-f-]+/$"))
    page.locator("article.milestone summary", has_text="Log practice").first.click()
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
