"""The admin in headless Chromium: the dashboard draws its charts from local files only,
and a candidate goes from review to deployed through the real changelist."""

import pytest

from skills.ingestion import usage_events_record
from skills.models import CandidateStatus, EmergenceCandidate
from tests.e2e.conftest import OffMachineRequests
from tests.factories import EmergenceCandidateFactory, UserFactory
from tests.skills.telemetry_helpers import event_payload

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

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
    page.goto(f"{live_server.url}/admin/skills/dashboard/?start=2026-10-25&end=2027-01-31")
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


def review(page, candidate_pk: int, action: str, note: str) -> str:
    page.locator(f"input[name=_selected_action][value='{candidate_pk}']").check()
    page.locator("select[name=action]").select_option(action)
    page.locator("button[name=index]").click()
    page.locator("#id_note").fill(note)
    page.locator("input[type=submit].default").click()
    return page.locator("ul.messagelist").inner_text()


def test_a_candidate_is_approved_then_deployed_in_the_browser(browser, live_server, artifacts):
    candidate = EmergenceCandidateFactory(skills=["pdf-extract", "summarize"], status=CandidateStatus.REVIEW)
    changelist = "/admin/skills/emergencecandidate/"
    context, page = admin_page(browser, live_server, changelist)
    assert "cannot go from review to deployed" in review(page, candidate.pk, "deploy", "too early")
    assert "Approved 1 candidate(s)." in review(page, candidate.pk, "approve", "useful pair")
    assert "Deployed 1 candidate(s)." in review(page, candidate.pk, "deploy", "ship it")
    page.goto(f"{live_server.url}{changelist}{candidate.pk}/change/")
    assert "useful pair" in page.content() and "ship it" in page.content()
    page.screenshot(path=str(artifacts / "admin-candidate.png"), full_page=True)
    assert EmergenceCandidate.objects.get().status == CandidateStatus.DEPLOYED
    context.close()
