"""Prerequisites and skill unlocks in a real browser, with JavaScript on and off: a milestone
waiting for another shows as locked (with a link to what it waits for), opens once that one is
completed, and the completed one shows the agent skill it unlocked; a stale Start on a milestone
locked again is refused in place; the roadmap downloads as a Markdown checklist. Each state is
looked at 390 px and 1280 px wide."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

from roadmaps.models import MilestoneProgress
from roadmaps.services.goals import deconstruction_create
from roadmaps.services.milestones import milestone_reset
from roadmaps.services.roadmaps import roadmap_create
from skills.models import SkillUnlock
from tests.e2e.conftest import OffMachineRequests
from tests.e2e.test_learner_journey import fits_and_is_captured, sign_up
from tests.factories import SkillFactory
from tests.roadmaps.plans import juggling_plan

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

FIRST, FIRST_TITLE = "one-ball", "One-ball arcs"
SECOND, SECOND_TITLE = "two-ball", "Two-ball exchange"
SKILL = "juggling-coach"


def gated_juggling(username: str):
    """The juggling plan where the two-ball exchange waits for one-ball arcs, which unlocks SKILL."""
    data = juggling_plan()
    first, second = data["levels"][0]["milestones"]
    first["unlocks_skills"] = [SKILL]
    second["prerequisites"] = [FIRST]
    learner = get_user_model().objects.get(username=username)
    learner.user_permissions.add(Permission.objects.get(codename="grant_unlock"))  # plans that unlock skills
    deconstruction, _ = deconstruction_create(owner=learner, user_query="learn to juggle", data=data)
    return roadmap_create(owner=learner, title="Juggling, in order", deconstruction=deconstruction)


def progress(username: str, milestone_id: str) -> MilestoneProgress:
    return MilestoneProgress.objects.select_related("deconstruction").get(
        milestone_id=milestone_id, deconstruction__owner__username=username
    )


def act(page, card, name: str, status: str) -> None:
    card.get_by_role("button", name=name, exact=True).click()
    card.locator(f".badge[data-status={status}]").wait_for()


def journey(page, base: str, username: str, artifacts, suffix: str) -> None:
    SkillFactory(skill_id=SKILL)
    sign_up(page, base, username)
    roadmap = gated_juggling(username)
    page.goto(f"{base}/roadmaps/{roadmap.pk}/")
    first, second = page.locator(f"#milestone-{FIRST}"), page.locator(f"#milestone-{SECOND}")

    assert second.locator(".badge").inner_text() == "Locked"
    assert second.locator(".waiting-for").inner_text().startswith(f"Waits for {FIRST_TITLE}")
    assert second.get_by_role("button", name="Start").count() == 0 and second.locator("details.log").count() == 0
    assert f"Completing it unlocks the agent skill {SKILL}" in first.locator(".unlocks").inner_text()
    second.scroll_into_view_if_needed()
    fits_and_is_captured(page, artifacts, f"locked-{suffix}")
    second.get_by_role("link", name=FIRST_TITLE).click()
    page.wait_for_url(re.compile(f".*#milestone-{FIRST}$"))

    act(page, first, "Start", "in_progress")
    act(page, page.locator(f"#milestone-{FIRST}"), "Complete", "completed")
    assert SkillUnlock.objects.get(user__username=username, skill_id=SKILL).unlocked
    first, second = page.locator(f"#milestone-{FIRST}"), page.locator(f"#milestone-{SECOND}")
    assert first.get_by_role("link", name=SKILL).get_attribute("href") == f"/api/skills/{SKILL}/"
    assert second.locator(".badge").inner_text() == "Not started" and second.locator(".waiting-for").count() == 0
    fits_and_is_captured(page, artifacts, f"unlocked-{suffix}")

    # The first milestone is reset elsewhere (another tab): this page still offers Start, and is told why not.
    milestone_reset(progress=progress(username, FIRST))
    second.get_by_role("button", name="Start", exact=True).click()
    notice = page.locator(f"#milestone-{SECOND} .notice.error")
    notice.wait_for()
    assert f"waits for “{FIRST_TITLE}” ({FIRST})" in notice.inner_text()
    assert page.locator(f"#milestone-{SECOND} .badge").inner_text() == "Locked"
    assert progress(username, SECOND).status == "not_started"
    fits_and_is_captured(page, artifacts, f"refused-{suffix}")

    page.goto(f"{base}/roadmaps/{roadmap.pk}/")
    with page.expect_download() as download:
        page.get_by_role("link", name="Checklist (Markdown)").click()
    assert download.value.suggested_filename.startswith("juggling-in-order-")
    text = open(download.value.path(), encoding="utf-8").read()
    assert f"- [ ] **{SECOND_TITLE}** — locked\n  - Do this now:" in text


def test_prerequisites_with_javascript(browser, live_server, artifacts):
    context = browser.new_context(viewport={"width": 390, "height": 844}, accept_downloads=True)
    page = context.new_page()
    outside = OffMachineRequests()
    outside.watch(page, live_server.url)
    journey(page, live_server.url, "gated-js", artifacts, "js")
    assert page.evaluate("typeof htmx") == "object"
    assert outside == []
    context.close()


def test_prerequisites_without_javascript(browser, live_server, artifacts):
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, java_script_enabled=False, accept_downloads=True
    )
    page = context.new_page()
    journey(page, live_server.url, "gated-nojs", artifacts, "nojs")
    context.close()
