"""The metrics dashboard: its numbers come from the daily roll-up, its charts from local files."""

import re
import uuid
from datetime import UTC, date, timedelta

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Sum, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from skills.admin.dashboard import RANGE_BACKWARDS, RANGE_TOO_LONG
from skills.ingestion.record import usage_events_record
from skills.models import SkillDailyUsage, TeamDailyUsage
from skills.selectors.dashboard import DashboardFilter, dashboard_data
from skills.sketch import LatencySketch
from tests.factories import SkillFactory, UserFactory
from tests.skills.telemetry_helpers import BASE_TIME, aggregates_snapshot, event_payload

pytestmark = pytest.mark.django_db

DASHBOARD = "/admin/skills/dashboard/"


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


def test_the_top_lists_break_ties_by_name_whatever_order_the_rows_come_in():
    usage_events_record(
        events=[
            event("pdf", "2026-11-03", "error", error_type="Zeta", workflow_path="z/path"),
            event("ocr", "2026-11-02", "error", error_type="Alpha", workflow_path="a/path"),
            event("doc", "2026-11-04", "error", error_type="Mu", workflow_path="m/path"),
        ],
        user=None,
    )
    data = dashboard_data(DashboardFilter(date(2026, 11, 1), date(2026, 11, 5)))
    assert data["errors"] == [["Alpha", 1], ["Mu", 1], ["Zeta", 1]]
    assert data["paths"] == [["a/path", 1], ["m/path", 1], ["z/path", 1]]
    assert data["skills"] == ["doc", "ocr", "pdf"]


def test_the_skill_filter_keeps_one_skill():
    usage_events_record(events=[event("pdf", "2026-11-02"), event("ocr", "2026-11-02")], user=None)
    data = dashboard_data(DashboardFilter(date(2026, 11, 1), date(2026, 11, 5), "ocr"))
    assert data["skills"] == ["ocr"] and data["total"] == 1


@pytest.mark.parametrize("n_events", [30, 600])
def test_the_page_runs_a_fixed_number_of_queries(admin_client, django_assert_num_queries, n_events):
    for start in range(0, n_events, 300):
        usage_events_record(events=[event_payload(n) for n in range(start, start + 300)][:n_events], user=None)
    # session, user, the skill list for the filter, the team's day rows of the range and of the period
    # before (one query), the skills' calls summed, the shown skills' sketches, the skills' joined uses
    # (their attributed cost: none here): never the event log, whatever the number of skills
    with django_assert_num_queries(7) as queries:
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
def test_a_bad_range_shows_its_error_and_no_charts(admin_client, query, message):
    usage_events_record(events=[event("pdf", "2026-11-02")], user=None)
    response = admin_client.get(f"{DASHBOARD}?{query}")
    html = response.content.decode()
    assert message in html and "Correct the range to see the figures." in html
    assert "<canvas" not in html and "dashboard-data" not in html and response.context["data"] is None


def test_the_tiles_compare_each_figure_with_the_previous_period_of_the_same_length():
    usage_events_record(
        events=[
            # the previous five days (Oct 27–31): 4 calls, 2 succeed, 400 tokens, $1.00
            *[event("pdf", "2026-10-28", tokens_used=100, cost_usd="0.25", latency_ms=100) for _ in range(2)],
            *[event("pdf", "2026-10-30", "failure", tokens_used=100, cost_usd="0.25", latency_ms=100)
              for _ in range(2)],
            # Nov 1–5: 5 calls, 4 succeed, 1,000 tokens, $0.50, slower
            *[event("pdf", "2026-11-02", tokens_used=200, cost_usd="0.10", latency_ms=200) for _ in range(4)],
            event("ocr", "2026-11-03", "error", tokens_used=200, cost_usd="0.10", latency_ms=200),
        ],
        user=None,
    )  # fmt: skip
    tiles = {t["key"]: t for t in dashboard_data(DashboardFilter(date(2026, 11, 1), date(2026, 11, 5)))["tiles"]}
    assert (tiles["calls"]["value"], tiles["calls"]["change"], tiles["calls"]["direction"]) == ("5", "+25.0 %", "same")
    assert (tiles["success_rate"]["value"], tiles["success_rate"]["change"]) == ("80.0 %", "+30.0 pt")
    assert tiles["success_rate"]["direction"] == "better"
    assert tiles["p95"]["value"] == "198 ms" and tiles["p95"]["direction"] == "worse"  # DDSketch: within 1 % of 200
    assert (tiles["tokens"]["value"], tiles["tokens"]["change"]) == ("1,000", "+150.0 %")
    assert (tiles["cost"]["value"], tiles["cost"]["change"], tiles["cost"]["direction"]) == (
        "$0.50",
        "-50.0 %",
        "better",
    )


def test_an_empty_range_says_so_instead_of_drawing_empty_axes(admin_client):
    usage_events_record(events=[event("pdf", "2026-11-02")], user=None)
    html = admin_client.get(f"{DASHBOARD}?start=2026-12-01&end=2026-12-31").content.decode()
    assert "<canvas" not in html and html.count("No events in this range.") == 6
    assert "nothing to compare with" in html


def test_a_bar_leads_to_the_events_of_its_skill_in_the_range(admin_client):
    usage_events_record(
        events=[event("pdf", "2026-11-02"), event("pdf", "2026-11-04", "error", error_type="Timeout"),
                event("pdf", "2026-11-09"), event("ocr", "2026-11-02")],
        user=None,
    )  # fmt: skip
    data = admin_client.get(f"{DASHBOARD}?start=2026-11-01&end=2026-11-05&skill=").context["data"]
    assert data["skills"] == ["pdf", "ocr"]
    events = admin_client.get(data["links"]["skills"][0]).context["cl"].result_list
    assert sorted((e.skill_id, e.occurred_at.day) for e in events) == [("pdf", 2), ("pdf", 4)]
    errors = admin_client.get(data["links"]["errors"][0]).context["cl"].result_list
    assert [(e.skill_id, e.error_type) for e in errors] == [("pdf", "Timeout")]


def test_a_usage_per_day_bar_leads_to_that_days_events_of_its_outcome(admin_client):
    usage_events_record(
        events=[event("pdf", "2026-11-02"), event("pdf", "2026-11-02", "error", error_type="Timeout"),
                event("ocr", "2026-11-02"), event("pdf", "2026-11-03")],
        user=None,
    )  # fmt: skip
    data = admin_client.get(f"{DASHBOARD}?start=2026-11-01&end=2026-11-05&skill=").context["data"]
    second = data["days"].index("2026-11-02")
    successes = admin_client.get(data["links"]["days"]["success"][second]).context["cl"].result_list
    assert sorted((e.skill_id, e.occurred_at.date().isoformat()) for e in successes) == [
        ("ocr", "2026-11-02"), ("pdf", "2026-11-02")]  # fmt: skip
    errors = admin_client.get(data["links"]["days"]["error"][second]).context["cl"].result_list
    assert [(e.skill_id, e.outcome) for e in errors] == [("pdf", "error")]
    assert len(data["links"]["days"]["success"]) == len(data["days"]) == 5


def test_quick_ranges_sit_beside_the_dates(admin_client):
    response = admin_client.get(DASHBOARD)
    ranges = {r["label"]: r for r in response.context["quick_ranges"]}
    assert list(ranges) == ["Today", "7 d", "30 d", "90 d"]
    assert ranges["30 d"]["selected"] and not ranges["7 d"]["selected"]  # the default range is 30 days
    week = admin_client.get(f"{DASHBOARD}?{ranges['7 d']['query']}").context["filters"]
    assert (week.end - week.start).days == 6
    today = admin_client.get(f"{DASHBOARD}?{ranges['Today']['query']}").context["filters"]
    assert today.start == today.end == timezone.now().astimezone(UTC).date()  # one day, as its label says


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
    from skills.ingestion.record import usage_events_record
    from skills.services.registry import skill_version_publish
    from tests.skills.telemetry_helpers import event_payload

    skill = SkillFactory(skill_id="pdf-extract")
    skill_version_publish(skill=skill, content="one", version="1.0.0")
    events = [event_payload(n, skill_id="pdf-extract", outcome="success" if n % 10 else "failure") for n in range(40)]
    usage_events_record(events=events, user=UserFactory())
    skill_version_publish(skill=skill, content="two", version="2.0.0")
    usage_events_record(events=[event_payload(n, skill_id="pdf-extract", outcome="failure") for n in range(40, 50)],
                        user=UserFactory())  # fmt: skip
    with django_assert_num_queries(8):
        # the session, the user, the skills of the filter, the skill's day rows, its calls summed, its
        # sketches, the version roll-up rows, the skill's joined uses (its attributed cost: none here)
        first_day = BASE_TIME.date()
        page = admin_client.get(f"{DASHBOARD}?start={first_day}&end={first_day}&skill=pdf-extract").content.decode()
    assert 'id="versions-chart"' in page
    assert "<td>1.0.0</td><td>40</td><td>90.0 %</td>" in page
    assert "<td>2.0.0 (current)</td><td>10</td><td>0.0 %</td>" in page


# --- the team's day rows: every skill's events of a day, one row ----------------------------


def many_skills_events(skills: int = 25) -> list[dict]:
    """Skill n is used n + 1 times on 2026-11-02 (n × 10 ms slower) and once on 2026-11-03."""
    events = [event(f"s{n:02}", "2026-11-02", latency_ms=100 + 10 * n) for n in range(skills) for _ in range(n + 1)]
    return events + [event(f"s{n:02}", "2026-11-03", "failure", latency_ms=50) for n in range(skills)]


def test_the_teams_days_add_up_every_skills_days():
    usage_events_record(events=many_skills_events(), user=None)
    team = {row.day: row for row in TeamDailyUsage.objects.all()}
    for day, total, successes in (
        SkillDailyUsage.objects.values("day")
        .annotate(t=Sum("total"), s=Sum("success_count"))
        .values_list("day", "t", "s")
    ):
        assert (team[day].total, team[day].success_count) == (total, successes)
    assert sorted(team) == [date(2026, 11, 2), date(2026, 11, 3)]


def test_the_tiles_count_every_skill_and_the_charts_show_the_twenty_most_used():
    usage_events_record(events=many_skills_events(), user=None)
    data = dashboard_data(DashboardFilter(date(2026, 11, 1), date(2026, 11, 5)))
    assert data["total"] == sum(range(1, 26)) + 25
    assert data["skills"] == [f"s{n:02}" for n in range(24, 4, -1)]  # the most used first
    every_sketch = LatencySketch.merged_json(
        SkillDailyUsage.objects.values_list(Cast("latency_sketch", TextField()), flat=True)
    )
    assert data["tiles"][2]["value"] == f"{every_sketch.quantile(0.95):,.0f} ms"  # p95 over every skill's events
    s24 = LatencySketch.merged_json(
        SkillDailyUsage.objects.filter(skill_id="s24").values_list(Cast("latency_sketch", TextField()), flat=True)
    )
    assert data["p95"][0] == round(s24.quantile(0.95), 1)
    assert data["success_rate"][0] == round(100 * 25 / 26, 1)


@pytest.mark.django_db(transaction=True)
def test_the_migration_that_adds_the_teams_days_fills_them_from_the_folded_log():
    usage_events_record(events=many_skills_events(5), user=None)
    folded = aggregates_snapshot()["team_daily"]
    executor = MigrationExecutor(connection)
    executor.migrate([("skills", "0014_api_errors")])
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert aggregates_snapshot()["team_daily"] == folded and len(folded) == 2
