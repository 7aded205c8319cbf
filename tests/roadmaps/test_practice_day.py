"""Practice on the day it happened: a date on the log and edit forms and in the API (today by
default, up to a year back, never ahead), counted by the streak, the heat map, the minutes per
week and the exports; number fields refuse what is not a number."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from rest_framework.test import APIClient

from roadmaps.forms import NOT_A_WHOLE_NUMBER
from roadmaps.models import PRACTICE_DAYS_BACK, MilestoneProgress, PracticeActivity
from roadmaps.selectors.history import practice_page
from roadmaps.services.practice import practice_activity_log, practice_activity_update
from tests.factories import RoadmapFactory, progress_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def progress():
    return progress_of(RoadmapFactory(deconstruction__reps=3, deconstruction__sets=2))


@pytest.fixture
def owner_client(client, progress):
    client.force_login(progress.deconstruction.owner)
    return client


def practice_url(progress) -> str:
    return f"{progress.deconstruction.roadmaps.get().get_absolute_url()}milestones/{progress.pk}/practice/"


def days_ago(n: int):
    return timezone.localdate() - timedelta(days=n)


def test_a_session_is_logged_today_unless_another_day_is_given(progress):
    today = practice_activity_log(progress=progress, activity_type="drill", title="now")
    earlier = practice_activity_log(progress=progress, activity_type="drill", title="then", practiced_on=days_ago(3))
    assert (today.practiced_on, earlier.practiced_on) == (days_ago(0), days_ago(3))


@pytest.mark.parametrize("day, code", [(1, "future"), (-(PRACTICE_DAYS_BACK + 1), "too_old")])
def test_a_day_ahead_or_over_a_year_back_is_refused_and_nothing_is_written(progress, day, code):
    with pytest.raises(ValidationError) as refused:
        practice_activity_log(progress=progress, activity_type="drill", title="x", practiced_on=days_ago(-day))
    assert refused.value.error_dict["practiced_on"][0].code == code
    assert not PracticeActivity.objects.exists()
    assert MilestoneProgress.objects.get(pk=progress.pk).practice_attempts == 0


def test_exactly_a_year_back_is_allowed(progress):
    session = practice_activity_log(
        progress=progress, activity_type="drill", title="x", practiced_on=days_ago(PRACTICE_DAYS_BACK)
    )
    assert session.practiced_on == days_ago(PRACTICE_DAYS_BACK)


def test_yesterdays_session_keeps_the_streak_and_fills_yesterday_on_the_heat_map(progress):
    owner = progress.deconstruction.owner
    for n in (1, 2):
        practice_activity_log(progress=progress, activity_type="drill", title="x", completion_time=20,
                              practiced_on=days_ago(n))  # fmt: skip
    page = practice_page(owner)
    assert page.streak == 2 and page.minutes_today == 0
    cells = {cell.day.day: cell.day for cell in page.heat_map.cells}
    assert cells[days_ago(1)].minutes == 20 and cells[days_ago(0)].sessions == 0


def test_minutes_this_week_count_the_day_practised_not_the_day_logged(progress):
    owner = progress.deconstruction.owner
    last_week = days_ago(timezone.localdate().weekday() + 1)  # the Sunday before this week's Monday
    practice_activity_log(
        progress=progress, activity_type="drill", title="x", completion_time=30, practiced_on=last_week
    )
    assert practice_page(owner).minutes_this_week == 0


def test_the_page_logs_yesterday_and_shows_it(owner_client, progress):
    yesterday = days_ago(1)
    response = owner_client.post(
        practice_url(progress), {"activity_type": "drill", "title": "late entry", "practiced_on": yesterday.isoformat(),
                                 "completion_time": "25"},
    )  # fmt: skip
    assert response.status_code == 302
    assert PracticeActivity.objects.get().practiced_on == yesterday
    html = owner_client.get("/practice/").content.decode()
    assert f'data-date="{yesterday.isoformat()}" data-level="2"' in html


def test_the_form_offers_today_bounded_by_a_year_back(owner_client, progress):
    html = owner_client.get(progress.deconstruction.roadmaps.get().get_absolute_url()).content.decode()
    assert f'type="date" name="practiced_on" value="{days_ago(0).isoformat()}"' in html
    assert f'max="{days_ago(0).isoformat()}"' in html and f'min="{days_ago(PRACTICE_DAYS_BACK).isoformat()}"' in html


@pytest.mark.parametrize("field, value", [("completion_time", "1e"), ("reps", "2.5"), ("completion_time", "ten")])
def test_a_number_field_refuses_what_is_not_a_whole_number(owner_client, progress, field, value):
    response = owner_client.post(practice_url(progress), {"activity_type": "drill", "title": "x", field: value})
    assert response.status_code == 400 and NOT_A_WHOLE_NUMBER in response.content.decode()
    assert not PracticeActivity.objects.exists()


def test_the_page_refuses_tomorrow(owner_client, progress):
    tomorrow = days_ago(-1).isoformat()
    response = owner_client.post(
        practice_url(progress), {"activity_type": "drill", "title": "x", "practiced_on": tomorrow}
    )
    assert response.status_code == 400 and "cannot be in the future" in response.content.decode()
    assert not PracticeActivity.objects.exists()


def test_the_edit_page_moves_a_session_to_another_day_and_keeps_its_day_when_not_sent(owner_client, progress):
    session = practice_activity_log(progress=progress, activity_type="drill", title="x", practiced_on=days_ago(4))
    owner_client.post(f"/practice/{session.pk}/edit/", {"activity_type": "drill", "title": "renamed"})
    assert PracticeActivity.objects.get().practiced_on == days_ago(4)
    owner_client.post(f"/practice/{session.pk}/edit/", {"activity_type": "drill", "title": "x",
                                                        "practiced_on": days_ago(2).isoformat()})  # fmt: skip
    assert PracticeActivity.objects.get().practiced_on == days_ago(2)


def test_the_api_takes_the_day_refuses_tomorrow_and_filters_by_it(progress):
    client = APIClient()
    client.force_authenticate(progress.deconstruction.owner)
    body = {"milestone_progress": str(progress.pk), "activity_type": "drill", "title": "x"}
    tomorrow = days_ago(-1).isoformat()
    refused = client.post("/api/practice-activities/", {**body, "practiced_on": tomorrow}, format="json")
    assert refused.status_code == 400 and "practiced_on" in refused.data["errors"]
    assert not PracticeActivity.objects.exists()
    made = client.post("/api/practice-activities/", {**body, "practiced_on": days_ago(2).isoformat()}, format="json")
    assert made.status_code == 201 and made.data["practiced_on"] == days_ago(2).isoformat()
    assert client.get(f"/api/practice-activities/?date={days_ago(2).isoformat()}").data["count"] == 1
    assert client.get(f"/api/practice-activities/?date={days_ago(0).isoformat()}").data["count"] == 0


def test_the_sessions_export_has_the_day_practised(progress):
    practice_activity_log(progress=progress, activity_type="drill", title="x", practiced_on=days_ago(3))
    client = APIClient()
    client.force_authenticate(progress.deconstruction.owner)
    csv = client.get("/api/practice-activities/export/").content.decode()
    header, row = csv.splitlines()[:2]
    assert header.split(",")[1] == "practiced_on" and row.split(",")[1] == days_ago(3).isoformat()


def test_correcting_the_day_through_the_service_is_validated_too(progress):
    session = practice_activity_log(progress=progress, activity_type="drill", title="x")
    with pytest.raises(ValidationError):
        practice_activity_update(activity=session, practiced_on=days_ago(-2))
    assert PracticeActivity.objects.get().practiced_on == days_ago(0)
