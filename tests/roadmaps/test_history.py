"""The practice page and the roadmap page's momentum: milestone titles linking to their roadmap,
notes, minutes this week and per roadmap, the streak, the 12-month heat map, the Continue link,
minutes logged beside the plan's estimate, and messages beside the milestone acted on."""

import re
from datetime import date, timedelta

import pytest
from django.utils import timezone

from roadmaps.models import PracticeActivity
from roadmaps.selectors.history import HEAT_MAP_WEEKS, Day, heat_map, heat_map_start
from roadmaps.services.milestones import milestone_start
from roadmaps.services.practice import practice_activity_log
from tests.factories import RoadmapFactory, progress_of

pytestmark = pytest.mark.django_db


def practise(progress, *, days_ago: int = 0, minutes: int | None = 10, reps: int = 0, **fields) -> PracticeActivity:
    return practice_activity_log(
        progress=progress, activity_type="drill", title=fields.pop("title", "cascade"), reps=reps,
        completion_time=minutes, practiced_on=timezone.localdate() - timedelta(days=days_ago), **fields,
    )  # fmt: skip


@pytest.fixture
def roadmap():
    return RoadmapFactory(title="Juggling", deconstruction__milestones_per_level=2)


@pytest.fixture
def owner_client(client, roadmap):
    client.force_login(roadmap.owner)
    return client


def test_sessions_show_their_milestone_title_linking_to_its_roadmap_and_their_notes(owner_client, roadmap):
    practise(progress_of(roadmap, "m2-1"), user_notes="Dropped the left ball twice.")
    html = owner_client.get("/practice/").content.decode()
    link = f'<a href="/roadmaps/{roadmap.pk}/#milestone-m2-1">Milestone 2.1</a>'
    assert link in html and "· Juggling" in html
    assert "Dropped the left ball twice." in html
    assert ">m2-1<" not in html  # no plan ids shown to the learner


def test_minutes_this_week_today_and_per_roadmap(owner_client, roadmap):
    today = timezone.localdate()
    practise(progress_of(roadmap), minutes=20)
    practise(progress_of(roadmap, "m1-2"), minutes=None)  # a session without minutes
    practise(progress_of(roadmap), minutes=30, days_ago=today.weekday() + 1)  # last week
    other = RoadmapFactory(owner=roadmap.owner, title="Spanish")
    practise(progress_of(other), minutes=15, days_ago=today.weekday())  # this Monday
    html = owner_client.get("/practice/").content.decode()
    assert '<dd id="minutes-this-week">35 minutes</dd>' in html
    minutes_today = 20 + (15 if today.weekday() == 0 else 0)  # on a Monday, Spanish was today
    assert f'<dd id="minutes-today">{minutes_today} minutes</dd>' in html
    per_roadmap = html.split('id="per-roadmap"')[1].split("</table>")[0]
    rows = re.findall(
        r">(Juggling|Spanish)</a>.*?<td data-label=\"Minutes\">(\d+)</td>\s*<td data-label=\"Sessions\">(\d+)",
        per_roadmap,
        re.S,
    )
    assert sorted(rows) == [("Juggling", "50", "3"), ("Spanish", "15", "1")]


def test_the_streak_is_days_in_a_row(owner_client, roadmap):
    for days_ago in [0, 1, 2, 4]:
        practise(progress_of(roadmap), days_ago=days_ago)
    assert '<dd class="streak">3 days in a row</dd>' in owner_client.get("/practice/").content.decode()


def test_the_heat_map_shows_today_and_shades_by_minutes(owner_client, roadmap):
    practise(progress_of(roadmap), minutes=45)
    practise(progress_of(roadmap), minutes=5, days_ago=10)
    html = owner_client.get("/practice/").content.decode()
    today = timezone.localdate()
    assert re.search(rf'class="l3 today" data-date="{today.isoformat()}" data-level="3"', html)
    ten_days_ago = (today - timedelta(days=10)).isoformat()
    assert f'data-date="{ten_days_ago}" data-level="1"' in html
    assert html.count("data-date=") == (today - heat_map_start(today)).days + 1  # one cell a day, up to today
    assert "2 days with practice, 50 minutes in all." in html
    assert "<script" not in html.split('id="heatmap-heading"')[1].split("</section>")[0]


def test_heat_map_weeks_start_on_monday_and_shades_follow_the_minutes():
    today = date(2026, 11, 27)  # a Friday
    start = heat_map_start(today)
    assert start.weekday() == 0 and (today - start).days == 7 * (HEAT_MAP_WEEKS - 1) + 4
    logged = [(0, 14), (1, 15), (2, 30), (3, 60)]  # (days after start, minutes)
    days = {start + timedelta(n): Day(start + timedelta(n), minutes, 1) for n, minutes in logged}
    days[today] = Day(today, 0, 1)  # a session logged without minutes
    cells = {cell.day.day: cell for cell in heat_map(days, today).cells}
    assert [cells[d].day.level for d in sorted(days)] == [1, 2, 3, 4, 1]
    assert cells[today].today and cells[start + timedelta(5)].day.level == 0
    assert cells[today].x > cells[start].x and cells[start + timedelta(6)].y > cells[start].y


def test_the_sessions_table_becomes_labelled_cards_on_a_phone(owner_client, roadmap):
    practise(progress_of(roadmap))
    html = owner_client.get("/practice/").content.decode()
    row = html.split('<table class="history sessions">')[1].split("<tbody>")[1].split("</tr>")[0]
    labels = re.findall(r'data-label="([^"]+)"', row)
    assert labels == ["When", "Milestone", "Activity", "Reps", "Minutes", "Notes", "Actions"]


def test_another_learners_practice_is_not_on_my_page(owner_client, roadmap):
    practise(progress_of(RoadmapFactory(title="Someone else's")), title="theirs")
    html = owner_client.get("/practice/").content.decode()
    assert "theirs" not in html and "Someone else" not in html and "0 days with practice" in html


@pytest.mark.parametrize("sessions", [1, 25])
def test_the_practice_page_runs_a_fixed_number_of_queries(owner_client, roadmap, django_assert_num_queries, sessions):
    other = RoadmapFactory(owner=roadmap.owner)
    for n in range(sessions):
        practise(progress_of(roadmap if n % 2 else other, "m1-1"), days_ago=n)
    # session, user, the latest sessions joined with their progress rows, their deconstructions,
    # the roadmaps over those, minutes and sessions a day, the streak's days, minutes per roadmap
    with django_assert_num_queries(8):
        response = owner_client.get("/practice/")
    assert response.content.decode().count('<td data-label="When"') == sessions


@pytest.mark.parametrize("sessions", [1, 20])
def test_the_roadmap_page_runs_a_fixed_number_of_queries_whatever_the_practice(
    owner_client, roadmap, django_assert_num_queries, sessions
):
    for n in range(sessions):
        practise(progress_of(roadmap, ["m1-1", "m1-2", "m2-1"][n % 3]), user_notes=f"note {n}")
    # session, user, the roadmap with its deconstruction, progress rows, their activities
    with django_assert_num_queries(5):
        response = owner_client.get(f"/roadmaps/{roadmap.pk}/")
    assert response.content.decode().count("/edit/") == sessions


def test_continue_links_to_the_milestone_underway_else_the_first_not_done(owner_client, roadmap):
    html = owner_client.get(f"/roadmaps/{roadmap.pk}/").content.decode()
    assert 'id="continue" href="#milestone-m1-1">Continue: Milestone 1.1</a>' in html
    milestone_start(progress=progress_of(roadmap, "m2-1"))
    html = owner_client.get(f"/roadmaps/{roadmap.pk}/").content.decode()
    assert 'id="continue" href="#milestone-m2-1">Continue: Milestone 2.1</a>' in html
    home = owner_client.get("/").content.decode()
    assert f'href="/roadmaps/{roadmap.pk}/#milestone-m2-1">Continue: Milestone 2.1</a>' in home


def test_minutes_logged_are_shown_beside_the_plans_estimate_never_mixed(owner_client, roadmap):
    practise(progress_of(roadmap), minutes=12, reps=2)  # reps 2 × sets 1: completes m1-1 (10 estimated minutes)
    html = owner_client.get(f"/roadmaps/{roadmap.pk}/").content.decode()
    assert "10 of 120 estimated minutes" in html
    assert '<dd id="minutes-logged">12 minutes logged in 1 session</dd>' in html
    card = html.split('id="milestone-m1-1"')[1].split("</article>")[0]
    assert 'Plan estimate: about 10 min</span> · <span class="logged">Logged: 12 min' in card
    home = owner_client.get("/").content.decode()
    assert "10 of 120 estimated minutes" in home and "Practised: 12 minutes logged" in home


def test_a_message_shows_beside_the_milestone_acted_on_not_at_the_top(owner_client, roadmap):
    progress = progress_of(roadmap, "m2-1")
    url = f"/roadmaps/{roadmap.pk}/milestones/{progress.pk}/practice/"
    response = owner_client.post(url, {"activity_type": "drill", "title": "x", "reps": 1})
    assert response["Location"] == f"/roadmaps/{roadmap.pk}/#milestone-m2-1"
    html = owner_client.get(response["Location"]).content.decode()
    card = html.split('id="milestone-m2-1"')[1].split("</article>")[0]
    assert 'class="notice success">Practice logged: x (1 of 2 reps done; in progress).' in card
    top = html.split('<div id="messages">')[1].split("</div>")[0]
    assert "Practice logged" not in top
    assert '<details class="log" open>' in card  # ready for the next part
    refused = owner_client.post(f"/roadmaps/{roadmap.pk}/milestones/{progress_of(roadmap).pk}/complete/")
    assert refused.status_code == 400  # the page again, nothing changed
    html = refused.content.decode()
    assert "cannot go from not_started to completed" in html.split('id="milestone-m1-1"')[1].split("</article>")[0]


def test_forms_post_without_javascript_and_swap_in_place_with_it(owner_client, roadmap):
    html = owner_client.get(f"/roadmaps/{roadmap.pk}/").content.decode()
    card = html.split('id="milestone-m1-1"')[1].split("</article>")[0]
    for form in re.findall(r"<form [^>]*>", card):
        action = re.search(r'action="([^"]+)"', form).group(1)
        assert 'method="post"' in form and f'hx-post="{action}"' in form
        assert 'hx-select="#roadmap"' in form
