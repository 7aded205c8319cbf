"""The admin metrics dashboard in headless Chromium: the charts are drawn, from local files only."""

import pytest

from skills.services import usage_events_record
from tests.e2e.conftest import OffMachineRequests
from tests.factories import UserFactory
from tests.skills.telemetry_helpers import event_payload

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CHARTS = ["usage-chart", "success-chart", "p95-chart", "errors-chart", "paths-chart", "cost-chart"]


def test_the_dashboard_draws_its_charts(browser, live_server, artifacts):
    UserFactory(username="dash-admin", password="correct-horse-battery", is_staff=True, is_superuser=True)
    usage_events_record(events=[event_payload(n) for n in range(200)], user=None)
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    outside = OffMachineRequests()
    outside.watch(page, live_server.url)
    page.goto(f"{live_server.url}/admin/login/?next=/admin/skills/dashboard/")
    page.locator("#id_username").fill("dash-admin")
    page.locator("#id_password").fill("correct-horse-battery")
    page.locator("input[type=submit]").click()
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
