"""The metrics dashboard: its numbers come from the daily roll-up, its charts from local files."""

import re
import uuid
from datetime import date, timedelta

import pytest
from django.contrib.auth.models import Permission

from skills.admin.dashboard import RANGE_BACKWARDS, RANGE_TOO_LONG
from skills.dashboard import DashboardFilter, dashboard_data
from skills.ingestion import usage_events_record
from tests.factories import UserFactory
from tests.skills.telemetry_helpers import BASE_TIME, event_payload

pytestmark = pytest.mark.django_db

DASHBOARD = "/admin/skills/dashboard/"


@pytest.fixture
def admin_client(client, staff):
    client.force_login(staff)
    return client


def event(skill: str, day: str, outcome: str = "success", **fields) -> dict:
    return {
        "event_id": str(uuid.uuid4()), "skill_id": skill, "outcome": outcome, "session_id": "s",
        "occurred_at": f"{day}T12:00:00+00:00", "latency_ms": 900 if skill == "pdf" else 100, **fields,
    }  # fmt: skip


def test_the_data_add_up_the_daily_roll_up_per_day_and_per_skill():
    usage_events_record(
        events=[
            event("pdf", "2026-11-02", tokens_used=100, cost_usd="0.50", workflow_path="plan/run"),
            event("pdf", "2026-11-02", "failure", error_type="Timeout", workflow_path="plan/run"),
            event("pdf", "2026-11-04", tokens_used=50, tokens_saved=5, cost_usd="0.25", workflow_path="quick"),
            event("ocr", "2026-11-04", "error", error_type="Timeout"),
            event("ocr", "2026-11-04", "error", error_type="BadInput"),
            event("ocr", "2026-11-20"),  # outside the range
        ],
        user=None,
    )
    data = dashboard_data(DashboardFilter(date(2026, 11, 1), date(2026, 11, 5)))
    assert data["days"] == ["2026-11-01", "2026-11-02", "2026-11-03", "2026-11-04", "2026-11-05"]
    assert data["usage"]["success"] == [0, 1, 0, 1, 0]
    assert data["usage"]["failure"] == [0, 1, 0, 0, 0] and data["usage"]["error"] == [0, 0, 0, 2, 0]
    assert data["tokens_used"] == [0, 100, 0, 50, 0] and data["tokens_saved"] == [0, 0, 0, 5, 0]
    assert data["cost"] == [0, 0.5, 0, 0.25, 0]
    assert data["skills"] == ["pdf", "ocr"]  # most used first
    assert data["success_rate"] == [pytest.approx(66.7), 0.0]
    assert data["p95"][0] == pytest.approx(900, rel=0.02) and data["p95"][1] == pytest.approx(100, rel=0.02)
    assert data["errors"] == [["Timeout", 2], ["BadInput", 1]]
    assert data["paths"] == [["plan/run", 2], ["quick", 1]]
    assert data["total"] == 5


def test_the_skill_filter_keeps_one_skill():
    usage_events_record(events=[event("pdf", "2026-11-02"), event("ocr", "2026-11-02")], user=None)
    data = dashboard_data(DashboardFilter(date(2026, 11, 1), date(2026, 11, 5), "ocr"))
    assert data["skills"] == ["ocr"] and data["total"] == 1


@pytest.mark.parametrize("n_events", [30, 600])
def test_the_page_runs_a_fixed_number_of_queries(admin_client, django_assert_num_queries, n_events):
    for start in range(0, n_events, 300):
        usage_events_record(events=[event_payload(n) for n in range(start, start + 300)][:n_events], user=None)
    # session, user, the skill list for the filter, the roll-up rows of the range: never the event log
    with django_assert_num_queries(4) as queries:
        first_day = BASE_TIME.date()
        response = admin_client.get(f"{DASHBOARD}?start={first_day}&end={first_day + timedelta(days=364)}&skill=")
    assert not any("skills_usageevent" in q["sql"] for q in queries.captured_queries)
    assert response.context["data"]["total"] == n_events


def test_the_page_embeds_its_data_and_loads_chart_js_from_local_static_files(admin_client):
    html = admin_client.get(DASHBOARD).content.decode()
    assert '<script id="dashboard-data" type="application/json">' in html
    assert '<script src="/static/vendor/chartjs/' in html
    # Every script, style sheet and link is served by the site itself (not a random token's "cdn").
    assets = re.findall(r'(?:src|href)="([^"]*)"', html)
    assert assets and all(not re.match(r"(?:[a-z]+:)?//", url) for url in assets)
    assert "https://" not in html


@pytest.mark.parametrize(
    ("query", "message"),
    [("start=2026-12-01&end=2026-11-01", RANGE_BACKWARDS), ("start=2025-01-01&end=2026-11-01", RANGE_TOO_LONG)],
)
def test_a_bad_range_is_refused_with_a_message(admin_client, query, message):
    assert message in admin_client.get(f"{DASHBOARD}?{query}").content.decode()


def test_the_dashboard_is_for_staff_only(client):
    assert client.get(DASHBOARD).status_code == 302
    client.force_login(UserFactory())
    response = client.get(DASHBOARD)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_staff_need_the_permission_to_view_the_daily_roll_up(client):
    clerk = UserFactory(is_staff=True)
    client.force_login(clerk)
    assert client.get(DASHBOARD).status_code == 403
    clerk.user_permissions.add(Permission.objects.get(codename="view_skilldailyusage"))
    assert client.get(DASHBOARD).status_code == 200


def test_the_admin_index_links_to_the_dashboard(admin_client):
    assert DASHBOARD in admin_client.get("/admin/").content.decode()


def test_a_chosen_skill_shows_its_success_rate_by_version(admin_client, django_assert_num_queries):
    from skills.ingestion import usage_events_record
    from skills.services import skill_version_publish
    from tests.factories import SkillFactory, UserFactory
    from tests.skills.telemetry_helpers import event_payload

    skill = SkillFactory(skill_id="pdf-extract")
    skill_version_publish(skill=skill, content="one", version="1.0.0")
    events = [event_payload(n, skill_id="pdf-extract", outcome="success" if n % 10 else "failure") for n in range(40)]
    usage_events_record(events=events, user=UserFactory())
    skill_version_publish(skill=skill, content="two", version="2.0.0")
    usage_events_record(events=[event_payload(n, skill_id="pdf-extract", outcome="failure") for n in range(40, 50)],
                        user=UserFactory())  # fmt: skip
    with django_assert_num_queries(5):
        # the session, the user, the skills of the filter, the daily roll-up rows, the version roll-up rows
        first_day = BASE_TIME.date()
        page = admin_client.get(f"{DASHBOARD}?start={first_day}&end={first_day}&skill=pdf-extract").content.decode()
    assert 'id="versions-chart"' in page
    assert "<td>1.0.0</td><td>40</td><td>90.0 %</td>" in page
    assert "<td>2.0.0 (current)</td><td>10</td><td>0.0 %</td>" in page
