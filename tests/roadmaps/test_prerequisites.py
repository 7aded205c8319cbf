"""Milestone prerequisites: a milestone waiting for others is locked on the page and in the API,
cannot be started or practised, and opens once they are completed."""

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError

from roadmaps.models import PracticeActivity, SkillDeconstruction
from roadmaps.plan import PREREQUISITE_CYCLE, UNKNOWN_PREREQUISITE
from roadmaps.services.goals import deconstruction_create
from roadmaps.services.milestones import MILESTONE_LOCKED, milestone_complete, milestone_reset, milestone_start
from roadmaps.services.practice import practice_activity_log
from roadmaps.services.roadmaps import roadmap_create
from tests.factories import UserFactory, progress_of
from tests.roadmaps.plans import gated_plan, plan

pytestmark = pytest.mark.django_db

WAITING_FOR_BOTH = MILESTONE_LOCKED.format(
    milestone="“Milestone 2.1” (m2-1)", waiting="“Milestone 1.1” (m1-1), “Milestone 1.2” (m1-2)"
)


@pytest.fixture
def roadmap(owner):
    deconstruction, _ = deconstruction_create(owner=owner, user_query="learn to gate", data=gated_plan())
    return roadmap_create(owner=owner, title="Gated", deconstruction=deconstruction)


def complete(roadmap, milestone_id: str):
    progress = progress_of(roadmap, milestone_id)
    milestone_start(progress=progress)
    return milestone_complete(progress=progress)


def milestones_by_id(response) -> dict:
    return {m["id"]: m for level in response.data["levels"] for m in level["milestones"]}


def card_of(html: str, milestone_id: str) -> str:
    return html.split(f'id="milestone-{milestone_id}"')[1].split("</article>")[0]


# Validation through the API


def with_prerequisites(**by_milestone) -> dict:
    data = plan()
    for level in data["levels"]:
        for milestone in level["milestones"]:
            milestone["prerequisites"] = by_milestone.get(milestone["id"].replace("-", "_"), [])
    return data


@pytest.mark.parametrize(
    "data, path, message",
    [
        (with_prerequisites(m2_1=["m1-1", "m9-9"]), "levels[1].milestones[0].prerequisites[1]",
         UNKNOWN_PREREQUISITE.format(id="m9-9")),
        (with_prerequisites(m1_1=["m3-1"], m2_1=["m1-1"], m3_1=["m2-1"]), "levels[1].milestones[0].prerequisites[0]",
         PREREQUISITE_CYCLE.format(cycle="m1-1 → m3-1 → m2-1 → m1-1")),
    ],
    ids=["unknown id", "cycle"],
)  # fmt: skip
def test_a_plan_with_a_bad_prerequisite_gets_400_naming_the_path(api, data, path, message):
    response = api.post("/api/deconstructions/", {"user_query": "x", "deconstruction_data": data}, format="json")
    assert response.status_code == 400
    assert response.data["errors"] == {path: [message]}
    assert SkillDeconstruction.objects.count() == 0


# The API


def test_the_roadmap_detail_shows_locks_and_what_they_wait_for(api, roadmap):
    complete(roadmap, "m1-1")
    milestones = milestones_by_id(api.get(f"/api/roadmaps/{roadmap.pk}/"))
    assert milestones["m2-1"]["prerequisites"] == ["m1-1", "m1-2"]
    assert milestones["m2-1"]["locked"] is True
    assert milestones["m2-1"]["waiting_for"] == [{"id": "m1-2", "title": "Milestone 1.2"}]  # m1-1 is done
    assert milestones["m3-1"]["waiting_for"] == [{"id": "m2-1", "title": "Milestone 2.1"}]
    assert [m["locked"] for m in milestones.values()] == [False, False, True, False, True, False]


def test_milestone_progress_rows_say_whether_they_are_locked(api, roadmap):
    rows = {row["milestone_id"]: row for row in api.get("/api/milestone-progress/").data["results"]}
    assert rows["m2-1"]["locked"] is True
    assert rows["m2-1"]["waiting_for"] == [
        {"id": "m1-1", "title": "Milestone 1.1"},
        {"id": "m1-2", "title": "Milestone 1.2"},
    ]
    assert (rows["m1-1"]["locked"], rows["m1-1"]["waiting_for"]) == (False, [])
    one = api.get(f"/api/milestone-progress/{progress_of(roadmap, 'm3-1').pk}/").data
    assert (one["locked"], one["waiting_for"]) == (True, [{"id": "m2-1", "title": "Milestone 2.1"}])


def test_starting_a_locked_milestone_gets_400_naming_what_it_waits_for(api, roadmap):
    progress = progress_of(roadmap, "m2-1")
    response = api.post(f"/api/milestone-progress/{progress.pk}/start/")
    assert response.status_code == 400
    assert response.data["errors"] == {"waiting_for": [WAITING_FOR_BOTH]}
    progress.refresh_from_db()
    assert progress.status == "not_started"


def test_logging_practice_against_a_locked_milestone_gets_400_and_writes_nothing(api, roadmap):
    progress = progress_of(roadmap, "m2-1")
    payload = {"milestone_progress": str(progress.pk), "activity_type": "drill", "title": "too soon", "reps": 1}
    response = api.post("/api/practice-activities/", payload, format="json")
    assert response.status_code == 400 and response.data["errors"] == {"waiting_for": [WAITING_FOR_BOTH]}
    assert PracticeActivity.objects.count() == 0
    progress.refresh_from_db()
    assert (progress.status, progress.practice_attempts) == ("not_started", 0)


def test_completing_the_prerequisites_opens_the_milestone(api, roadmap):
    complete(roadmap, "m1-1")
    practice_activity_log(progress=progress_of(roadmap, "m1-2"), activity_type="drill", title="x", reps=1)
    progress = progress_of(roadmap, "m2-1")
    response = api.post(f"/api/milestone-progress/{progress.pk}/start/")
    assert response.status_code == 200
    assert (response.data["status"], response.data["locked"], response.data["waiting_for"]) == (
        "in_progress",
        False,
        [],
    )


# The services: resets


def test_resetting_a_prerequisite_relocks_only_what_has_not_started(roadmap):
    complete(roadmap, "m1-1")
    complete(roadmap, "m1-2")
    complete(roadmap, "m2-1")  # m3-1 is open and not started
    milestone_start(progress=progress_of(roadmap, "m3-1"))
    milestone_reset(progress=progress_of(roadmap, "m1-1"))
    # m2-1 was completed and m3-1 started: both stay open, and m3-1 can still be completed
    milestone_complete(progress=progress_of(roadmap, "m3-1"))
    milestone_reset(progress=progress_of(roadmap, "m2-1"))  # reset itself: now it waits again
    with pytest.raises(ValidationError) as refused:
        milestone_start(progress=progress_of(roadmap, "m2-1"))
    waiting = MILESTONE_LOCKED.format(milestone="“Milestone 2.1” (m2-1)", waiting="“Milestone 1.1” (m1-1)")
    assert refused.value.message_dict == {"waiting_for": [waiting]}


def test_a_started_milestone_stays_open_when_its_prerequisite_is_reset(api, roadmap):
    complete(roadmap, "m1-1")
    complete(roadmap, "m1-2")
    practice_activity_log(progress=progress_of(roadmap, "m2-1"), activity_type="drill", title="x", reps=0)
    milestone_reset(progress=progress_of(roadmap, "m1-2"))
    milestones = milestones_by_id(api.get(f"/api/roadmaps/{roadmap.pk}/"))
    assert (milestones["m2-1"]["locked"], milestones["m2-1"]["progress"]["status"]) == (False, "in_progress")
    practice_activity_log(progress=progress_of(roadmap, "m2-1"), activity_type="drill", title="y", reps=1)
    assert progress_of(roadmap, "m2-1").status == "completed"


# The page


def test_the_page_shows_a_locked_milestone_with_links_to_what_it_waits_for(client, owner, roadmap):
    client.force_login(owner)
    complete(roadmap, "m1-1")
    html = client.get(f"/roadmaps/{roadmap.pk}/").content.decode()
    card = card_of(html, "m2-1")
    assert 'data-locked="true">Locked</span>' in card
    assert f'Waits for <a href="/roadmaps/{roadmap.pk}/#milestone-m1-2">Milestone 1.2</a>' in card
    assert "Milestone 1.1</a>" not in card  # completed: no longer waited for
    assert ">Start</button>" not in card and "Log practice" not in card
    assert ">Start</button>" in card_of(html, "m1-2") and "Locked" not in card_of(html, "m1-2")


def test_the_page_refuses_to_start_or_practise_a_locked_milestone_with_400(client, owner, roadmap):
    client.force_login(owner)
    progress = progress_of(roadmap, "m2-1")
    base = f"/roadmaps/{roadmap.pk}/milestones/{progress.pk}"
    started = client.post(f"{base}/start/")
    assert started.status_code == 400
    assert WAITING_FOR_BOTH in card_of(started.content.decode(), "m2-1")
    practised = client.post(f"{base}/practice/", {"activity_type": "drill", "title": "too soon", "reps": 1})
    assert practised.status_code == 400 and WAITING_FOR_BOTH in card_of(practised.content.decode(), "m2-1")
    assert PracticeActivity.objects.count() == 0


def test_continue_skips_a_locked_milestone(client, owner):
    client.force_login(owner)
    data = plan(milestones_per_level=2)
    data["levels"][0]["milestones"][0]["prerequisites"] = ["m1-2"]  # the first waits for the second
    deconstruction, _ = deconstruction_create(owner=owner, user_query="x", data=data)
    roadmap = roadmap_create(owner=owner, title="t", deconstruction=deconstruction)
    html = client.get(f"/roadmaps/{roadmap.pk}/").content.decode()
    assert 'id="continue" href="#milestone-m1-2">Continue: Milestone 1.2</a>' in html


def test_the_admins_start_action_reports_a_locked_milestone(client, roadmap):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    progress = progress_of(roadmap, "m2-1")
    response = client.post(
        "/admin/roadmaps/milestoneprogress/",
        {"action": "milestone_start", "_selected_action": [progress.pk]},
        follow=True,
    )
    assert WAITING_FOR_BOTH in [str(m) for m in get_messages(response.wsgi_request)]
    progress.refresh_from_db()
    assert progress.status == "not_started"
