"""The admin in headless Chromium: the dashboard draws its charts from local files only,
and a candidate goes from review to deployed through the real changelist."""

from datetime import timedelta

import pytest

from skills.ingestion.record import usage_events_record
from skills.models import CandidateStatus, EmergenceCandidate
from tests.e2e.conftest import OffMachineRequests
from tests.factories import EmergenceCandidateFactory, UserFactory
from tests.skills.telemetry_helpers import BASE_TIME, event_payload

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

CHARTS = ["usage-chart", "success-chart", "p95-chart", "errors-chart", "paths-chart", "cost-chart"]
PASSWORD = "correct-horse-battery"


def admin_page(browser, live_server, next_url: str):
    UserFactory(username="dash-admin", password=PASSWORD, is_staff=True, is_superuser=True)
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(f"{live_server.url}/admin/login/?next={next_url}")
    page.locator("#id_username").fill("dash-admin")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("input[type=submit]").click()
    return context, page


def test_the_dashboard_draws_its_charts(browser, live_server, artifacts):
    usage_events_record(events=[event_payload(n) for n in range(200)], user=None)
    context, page = admin_page(browser, live_server, "/admin/")
    outside = OffMachineRequests()
    outside.watch(page, live_server.url)
    first = BASE_TIME.date()
    page.goto(f"{live_server.url}/admin/skills/dashboard/?start={first}&end={first + timedelta(days=60)}")
    page.locator("body[data-charts-drawn=true]").wait_for()
    for chart in CHARTS:
        # a drawn canvas has coloured pixels; an empty one is fully transparent
        painted = page.evaluate(
            """id => { const c = document.getElementById(id); const d = c.getContext('2d')
                 .getImageData(0, 0, c.width, c.height).data; let n = 0;
                 for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n; }""",
            chart,
        )
        assert painted > 500, f"{chart} is blank"
    page.screenshot(path=str(artifacts / "admin-dashboard.png"), full_page=True)
    assert outside == []
    context.close()


def review(page, verb: str, note: str) -> str:
    """Clicks the candidate page's button, writes the note on the confirmation page, confirms."""
    page.locator("ul.object-tools a", has_text=verb).click()
    page.locator("#id_note").fill(note)
    page.locator("input[type=submit].default").click()
    return page.locator("ul.messagelist").inner_text()


def test_a_candidate_is_approved_then_deployed_in_the_browser(browser, live_server, artifacts):
    candidate = EmergenceCandidateFactory(skills=["pdf-extract", "summarize"], status=CandidateStatus.REVIEW)
    candidate_page = f"/admin/skills/emergencecandidate/{candidate.pk}/change/"
    context, page = admin_page(browser, live_server, "/admin/skills/emergencecandidate/")
    page.locator("th.field-candidate a", has_text="pdf-extract + summarize").click()
    assert page.url.endswith(candidate_page)
    assert page.locator("ul.object-tools a", has_text="Deploy").count() == 0  # not legal from review
    assert "Approved candidate pdf-extract + summarize." in review(page, "Approve", "useful pair")
    assert "Deployed candidate pdf-extract + summarize" in review(page, "Deploy", "ship it")
    page.locator(".deployed-banner a").click()
    assert "/admin/skills/skill/composite-pdf-extract-summarize-" in page.url
    page.goto(f"{live_server.url}{candidate_page}")
    assert "useful pair" in page.content() and "ship it" in page.content()
    page.screenshot(path=str(artifacts / "admin-candidate.png"), full_page=True)
    assert EmergenceCandidate.objects.get().status == CandidateStatus.DEPLOYED
    context.close()
