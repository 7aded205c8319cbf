"""What the analytics reads cost in queries, whatever the size of the log (docs/performance.md)."""

import pytest

from skills.ingestion.record import usage_events_record
from skills.selectors.dashboard import DashboardFilter, dashboard_data
from tests.skills.telemetry_helpers import BASE_TIME, event_payload

pytestmark = pytest.mark.django_db


def record(n: int) -> None:
    usage_events_record(events=[event_payload(i) for i in range(n)])


@pytest.mark.parametrize("events", [5, 300])
def test_the_summary_costs_five_queries(user_client, django_assert_num_queries, events):
    record(events)
    # the totals summed, the most used skill, every skill's error and path counters (at most
    # METRICS_TOP_K values each), the count of skills, metrics_as_of (the oldest queued event)
    with django_assert_num_queries(5):
        body = user_client.get("/api/analytics/summary/").json()
    assert body["total_invocations"] == events


@pytest.mark.parametrize("events", [5, 300])
def test_the_effectiveness_list_costs_two_queries(user_client, django_assert_num_queries, events):
    record(events)
    # the count, the page of metrics rows with their skills
    with django_assert_num_queries(2):
        body = user_client.get("/api/analytics/effectiveness/").json()
    assert sum(row["total_uses"] for row in body["results"]) == events


@pytest.mark.parametrize("events", [5, 300])
def test_the_dashboards_data_is_three_queries(django_assert_num_queries, events):
    record(events)
    first_day = BASE_TIME.date()
    # the team's day rows of the range and of the period before it; the skills' calls summed; the
    # sketches of the skills shown
    with django_assert_num_queries(3):
        data = dashboard_data(DashboardFilter(start=first_day, end=first_day.replace(year=first_day.year + 1)))
    assert data["total"] == events
