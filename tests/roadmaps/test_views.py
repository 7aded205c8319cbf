"""The learner pages, through Django's test client."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from roadmaps.models import MilestoneProgress, PracticeActivity, Roadmap, SkillDeconstruction
from roadmaps.plan import milestones_of
from roadmaps.selectors.history import practice_streak
from roadmaps.services.goals import deconstruction_create
from roadmaps.services.practice import practice_activity_log
from roadmaps.services.roadmaps import roadmap_create
from tests.factories import UserFactory, make_roadmap
from tests.roadmaps.plans import plan

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client


@pytest.fixture
def roadmap(owner):
    return make_roadmap(owner)


def first_milestone_id(roadmap) -> str:
    return next(milestones_of(roadmap.deconstruction.deconstruction_data)).id


def first_progress(roadmap) -> MilestoneProgress:
    return roadmap.deconstruction.progress.get(milestone_id=first_milestone_id(roadmap))


def card_of(html: str, milestone_id: str) -> str:
    return html.split(f'id="milestone-{milestone_id}"')[1].split("</article>")[0]


def page_urls(roadmap) -> list[str]:
    progress = first_progress(roadmap)
    return [
        "/",
        f"/roadmaps/{roadmap.pk}/",
        "/practice/",
    ], [
        "/roadmaps/new/",
        f"/roadmaps/{roadmap.pk}/milestones/{progress.pk}/start/",
        f"/roadmaps/{roadmap.pk}/milestones/{progress.pk}/practice/",
    ]


def test_sign_up_logs_the_learner_in(client):
    response = client.post(
        "/accounts/signup/",
        {"username": "newbie", "email": "", "password1": "a-Long-passphrase-42", "password2": "a-Long-passphrase-42"},
    )
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").status_code == 200
    assert get_user_model().objects.filter(username="newbie").exists()


def test_sign_up_errors_show_next_to_the_field(client):
    response = client.post("/accounts/signup/", {"username": "x", "password1": "123", "password2": "123"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "This password is too short" in html and "entirely numeric" in html


def test_log_in_and_log_out(client, owner):
    response = client.post("/accounts/login/", {"username": owner.username, "password": "correct-horse-battery"})
    assert response.status_code == 302
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/").status_code == 302


def test_anonymous_visitors_are_sent_to_log_in(client, roadmap):
    pages, actions = page_urls(roadmap)
    for url in pages:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), url
    for url in actions:
        response = client.post(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), url


def test_another_learner_gets_404(client, roadmap):
    client.force_login(UserFactory())
    progress = first_progress(roadmap)
    assert client.get(f"/roadmaps/{roadmap.pk}/").status_code == 404
    assert client.post(f"/roadmaps/{roadmap.pk}/milestones/{progress.pk}/start/").status_code == 404
    practice = {"activity_type": "reading", "title": "x", "reps": 1}
    assert client.post(f"/roadmaps/{roadmap.pk}/milestones/{progress.pk}/practice/", practice).status_code == 404
    # a milestone of another roadmap through one's own roadmap is not found either
    mine = make_roadmap(get_user_model().objects.exclude(pk=roadmap.owner_id).get())
    assert client.post(f"/roadmaps/{mine.pk}/milestones/{progress.pk}/start/").status_code == 404
    progress.refresh_from_db()
    assert progress.status == "not_started"


def test_my_roadmaps_shows_progress_next_milestone_and_last_practice(owner_client, roadmap):
    practice_activity_log(progress=first_progress(roadmap), activity_type="reading", title="x", reps=1)
    html = owner_client.get("/").content.decode()
    plan = roadmap.deconstruction.deconstruction_data
    first, second = list(milestones_of(plan))[:2]  # the first (1 × 1) is completed by one rep
    assert roadmap.title in html
    assert f"{first.estimated_time} of {plan['totalEstimatedTime']} estimated minutes" in html
    assert f"Continue: {second.title}" in html
    assert "logged · last " + timezone.localdate().strftime("%b") in html


def test_starting_a_roadmap_from_a_goal(owner_client, owner):
    response = owner_client.post("/roadmaps/new/", {"user_query": "learn to knit"})
    roadmap = Roadmap.objects.get(owner=owner)
    assert response.status_code == 302 and response["Location"] == f"/roadmaps/{roadmap.pk}/"
    assert (roadmap.deconstruction.origin, roadmap.deconstruction.catalog_entry) == ("catalog", "knitting")
    assert "Long-tail cast on" in owner_client.get(response["Location"]).content.decode()


def test_a_bad_goal_shows_the_error_next_to_the_field(owner_client):
    response = owner_client.post("/roadmaps/new/", {"user_query": "", "skill_type": "magic"})
    html = response.content.decode()
    assert response.status_code == 400
    assert "This field is required." in html and "Select a valid choice" in html
    assert Roadmap.objects.count() == 0


def test_milestone_buttons_follow_the_transition_rules(owner_client, roadmap):
    progress = first_progress(roadmap)
    base = f"/roadmaps/{roadmap.pk}/milestones/{progress.pk}"
    html = owner_client.get(f"/roadmaps/{roadmap.pk}/").content.decode()
    card = card_of(html, progress.milestone_id)
    assert re.findall(r">(Start|Complete|Fail|Reset)</button>", card) == ["Start"]
    assert owner_client.post(f"{base}/complete/").status_code == 400
    progress.refresh_from_db()
    assert progress.status == "not_started"
    owner_client.post(f"{base}/start/")
    html = owner_client.get(f"/roadmaps/{roadmap.pk}/").content.decode()
    card = card_of(html, progress.milestone_id)
    assert re.findall(r">(Start|Complete|Fail|Reset)</button>", card) == ["Complete", "Fail", "Reset"]
    owner_client.post(f"{base}/fail/")
    progress.refresh_from_db()
    assert progress.status == "failed"


def test_an_illegal_action_is_explained(owner_client, roadmap):
    progress = first_progress(roadmap)
    response = owner_client.post(f"/roadmaps/{roadmap.pk}/milestones/{progress.pk}/complete/")
    assert response.status_code == 400
    assert "cannot go from not_started to completed" in card_of(response.content.decode(), progress.milestone_id)


def test_logging_practice_until_reps_times_sets_completes_the_milestone(owner_client, owner):
    deconstruction, _ = deconstruction_create(owner=owner, user_query="x", data=plan(reps=3, sets=1))
    roadmap = roadmap_create(owner=owner, title="t", deconstruction=deconstruction)
    progress = roadmap.deconstruction.progress.get(milestone_id="m1-1")  # 3 reps × 1 set
    url = f"/roadmaps/{roadmap.pk}/milestones/{progress.pk}/practice/"
    for n in range(3):
        response = owner_client.post(
            url, {"activity_type": "exercise", "title": f"rep {n}", "completion_time": 5, "reps": 1}
        )
        assert response.status_code == 302
    progress.refresh_from_db()
    assert progress.status == "completed" and progress.practice_completions == 3
    html = owner_client.get(f"/roadmaps/{roadmap.pk}/").content.decode()
    assert "3 of 3 reps done" in html and "Practice history (3)" in html


def test_practice_errors_show_next_to_the_field_and_write_nothing(owner_client, roadmap):
    progress = first_progress(roadmap)
    response = owner_client.post(
        f"/roadmaps/{roadmap.pk}/milestones/{progress.pk}/practice/",
        {"activity_type": "dancing", "title": "", "completion_time": "-3", "difficulty_rating": "9"},
    )
    html = response.content.decode()
    card = card_of(html, progress.milestone_id)
    assert "Select a valid choice" in card and "This field is required." in card
    assert "greater than or equal to 0" in card
    assert '<details class="log" open' in card
    assert PracticeActivity.objects.count() == 0


def test_practice_history_lists_recent_activities_and_the_streak(owner_client, owner, roadmap):
    practice_activity_log(progress=first_progress(roadmap), activity_type="reading", title="read the manual")
    html = owner_client.get("/practice/").content.decode()
    assert "read the manual" in html and '<dd class="streak">1 day in a row</dd>' in html


def test_the_streak_counts_consecutive_days_ending_today_or_yesterday(owner, roadmap):
    progress = first_progress(roadmap)
    today = timezone.localdate()
    for days_ago in [1, 2, 3, 5]:
        practice_activity_log(
            progress=progress,
            activity_type="reading",
            title=f"{days_ago}",
            practiced_on=today - timedelta(days=days_ago),
        )
    assert practice_streak(owner, today=today) == 3
    assert practice_streak(owner, today=today + timedelta(days=2)) == 0


@pytest.mark.parametrize("milestones_per_level", [1, 10])
def test_the_roadmap_page_runs_a_fixed_number_of_queries(
    owner_client, owner, django_assert_num_queries, milestones_per_level
):
    deconstruction, _ = deconstruction_create(
        owner=owner, user_query="x", skill_type="abstract", data=plan(milestones_per_level=milestones_per_level)
    )
    roadmap = roadmap_create(owner=owner, title="t", deconstruction=deconstruction)
    for progress in deconstruction.progress.all():
        practice_activity_log(progress=progress, activity_type="reading", title="x")
    # session, user, the roadmap with its deconstruction, progress rows, their activities
    with django_assert_num_queries(5):
        response = owner_client.get(f"/roadmaps/{roadmap.pk}/")
    assert response.content.decode().count('class="card milestone"') == 3 * milestones_per_level


def _without_practice_types(roadmap):
    """The roadmap with its plan's practiceType removed (a plan posted through the API may lack them)."""
    plan = roadmap.deconstruction.deconstruction_data
    for level in plan["levels"]:
        for milestone in level["milestones"]:
            milestone.pop("practiceType", None)
    SkillDeconstruction.objects.filter(pk=roadmap.deconstruction_id).update(deconstruction_data=plan)
    return roadmap


def test_a_plan_without_practice_types_starts_the_form_on_the_kind_of_skill(owner_client, owner):
    juggling = _without_practice_types(make_roadmap(owner, query="learn to ride a unicycle", skill_type="physical"))
    python = _without_practice_types(make_roadmap(owner, query="learn quantum gravity", skill_type="abstract"))
    juggling_page = owner_client.get(f"/roadmaps/{juggling.pk}/").content.decode()
    python_page = owner_client.get(f"/roadmaps/{python.pk}/").content.decode()
    assert '<option value="exercise" selected>' in juggling_page
    assert '<option value="other" selected>' in python_page
