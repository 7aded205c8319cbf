"""The roadmaps API for the owner, another learner (404), anonymous (401) and staff."""

import pytest
from rest_framework.test import APIClient

from roadmaps.models import MilestoneProgress, PracticeActivity, Roadmap, SkillDeconstruction
from roadmaps.services.goals import deconstruction_create
from roadmaps.services.practice import practice_activity_log
from roadmaps.services.roadmaps import roadmap_create
from tests.factories import UserFactory, make_roadmap
from tests.roadmaps.plans import plan

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def roadmap(owner):
    return make_roadmap(owner)


@pytest.fixture
def progress(roadmap):
    return roadmap.deconstruction.progress.get(milestone_id="m1-1")


@pytest.fixture
def activity(progress):
    return practice_activity_log(progress=progress, activity_type="reading", title="warm-up", reps=0)


def object_urls(roadmap, progress, activity) -> list[str]:
    return [
        f"/api/deconstructions/{roadmap.deconstruction_id}/",
        f"/api/roadmaps/{roadmap.pk}/",
        f"/api/roadmaps/{roadmap.pk}/progress/",
        f"/api/milestone-progress/{progress.pk}/",
        f"/api/practice-activities/{activity.pk}/",
    ]


def test_the_owner_reads_every_object(owner, roadmap, progress, activity):
    for url in object_urls(roadmap, progress, activity):
        assert client_for(owner).get(url).status_code == 200, url


def test_another_learner_gets_404_on_every_object_and_action(roadmap, progress, activity):
    other = client_for(UserFactory())
    for url in object_urls(roadmap, progress, activity):
        assert other.get(url).status_code == 404, url
    for verb in ["start", "complete", "fail", "reset"]:
        assert other.post(f"/api/milestone-progress/{progress.pk}/{verb}/").status_code == 404
    assert other.patch(f"/api/roadmaps/{roadmap.pk}/", {"title": "mine now"}, format="json").status_code == 404
    notes = {"notes": "mine now"}
    assert other.patch(f"/api/milestone-progress/{progress.pk}/", notes, format="json").status_code == 404
    assert other.delete(f"/api/roadmaps/{roadmap.pk}/").status_code == 404
    posted = other.post(
        "/api/practice-activities/",
        {"milestone_progress": str(progress.pk), "activity_type": "reading", "title": "sneaky"},
        format="json",
    )
    assert posted.status_code == 404 and "milestone_progress" in posted.data["errors"]
    for url in ["/api/deconstructions/", "/api/roadmaps/", "/api/milestone-progress/", "/api/practice-activities/"]:
        assert other.get(url).data["count"] == 0, url


def test_anonymous_gets_401_everywhere(roadmap, progress, activity):
    anonymous = client_for(None)
    urls = object_urls(roadmap, progress, activity) + [
        "/api/deconstructions/",
        "/api/roadmaps/",
        "/api/milestone-progress/",
        "/api/practice-activities/",
    ]
    for url in urls:
        assert anonymous.get(url).status_code == 401, url
    assert anonymous.post(f"/api/milestone-progress/{progress.pk}/start/").status_code == 401
    assert anonymous.patch(f"/api/milestone-progress/{progress.pk}/", {"notes": "x"}).status_code == 401
    assert anonymous.post("/api/roadmaps/", {"user_query": "x", "skill_type": "physical"}).status_code == 401


def test_staff_read_everything_but_change_only_their_own(roadmap, progress, activity):
    staff = client_for(UserFactory(is_staff=True))
    for url in object_urls(roadmap, progress, activity):
        assert staff.get(url).status_code == 200, url
    assert staff.get("/api/roadmaps/").data["count"] == 1
    assert staff.post(f"/api/milestone-progress/{progress.pk}/start/").status_code == 404
    assert staff.patch(f"/api/milestone-progress/{progress.pk}/", {"notes": "x"}, format="json").status_code == 404
    assert staff.delete(f"/api/roadmaps/{roadmap.pk}/").status_code == 404


def test_deconstructions_from_a_goal_or_from_posted_data(owner):
    client = client_for(owner)
    made = client.post("/api/deconstructions/", {"user_query": "learn to knit"}, format="json")
    assert made.status_code == 201 and made.data["skill_name"] == "Knitting" and made.data["warnings"] == []
    assert (made.data["origin"], made.data["catalog_entry"], made.data["is_generic"]) == ("catalog", "knitting", False)
    assert made.data["closest_catalog_entries"] == []
    posted = client.post(
        "/api/deconstructions/",
        {"user_query": "my own plan", "skill_type": "abstract", "skill_name": "Mine", "deconstruction_data": plan()},
        format="json",
    )
    assert posted.status_code == 201 and posted.data["deconstruction_data"] == plan()
    assert (posted.data["origin"], posted.data["is_generic"]) == ("custom", False)
    assert client.get("/api/deconstructions/").data["count"] == 2


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"skill_type": "physical"}, "user_query"),
        ({"user_query": "x", "skill_type": "magic"}, "skill_type"),
        ({"user_query": "x", "skill_type": "abstract", "deconstruction_data": {"levels": []}}, "levels"),
        (
            {"user_query": "x", "skill_type": "abstract", "deconstruction_data": {**plan(), "totalEstimatedTime": 5}},
            "totalEstimatedTime",
        ),
    ],
)
def test_bad_deconstructions_get_400_naming_the_field_and_write_nothing(owner, payload, field):
    response = client_for(owner).post("/api/deconstructions/", payload, format="json")
    assert response.status_code == 400 and field in response.data["errors"]
    assert SkillDeconstruction.objects.count() == 0


def test_a_bad_nested_plan_names_the_json_path(owner):
    data = plan()
    data["levels"][0]["milestones"][0]["doThisNow"]["reps"] = 0
    response = client_for(owner).post(
        "/api/deconstructions/",
        {"user_query": "x", "skill_type": "abstract", "deconstruction_data": data},
        format="json",
    )
    assert response.status_code == 400
    assert response.data["errors"]["levels[0].milestones[0].doThisNow.reps"] == ["must be an integer ≥ 1"]


def test_roadmap_crud(owner):
    client = client_for(owner)
    created = client.post("/api/roadmaps/", {"user_query": "learn to juggle", "skill_type": "physical"}, format="json")
    assert created.status_code == 201
    roadmap_id = created.data["id"]
    assert len(created.data["levels"]) == 3 and created.data["progress"]["percent"] == 0
    assert (
        client.patch(f"/api/roadmaps/{roadmap_id}/", {"title": "Juggling"}, format="json").data["title"] == "Juggling"
    )
    assert (
        client.put(f"/api/roadmaps/{roadmap_id}/", {"title": "J", "description": "d"}, format="json").status_code == 200
    )
    assert client.get("/api/roadmaps/").data["results"][0]["title"] == "J"
    assert client.delete(f"/api/roadmaps/{roadmap_id}/").status_code == 204
    assert Roadmap.objects.count() == 0 and SkillDeconstruction.objects.count() == 0  # its plan and practice too


def test_a_roadmap_from_an_existing_deconstruction(owner):
    deconstruction, _ = deconstruction_create(owner=owner, user_query="x", skill_type="abstract", data=plan())
    response = client_for(owner).post("/api/roadmaps/", {"deconstruction": str(deconstruction.pk)}, format="json")
    assert response.status_code == 201 and MilestoneProgress.objects.count() == 3
    theirs, _ = deconstruction_create(owner=UserFactory(), user_query="x", skill_type="abstract", data=plan())
    refused = client_for(owner).post("/api/roadmaps/", {"deconstruction": str(theirs.pk)}, format="json")
    assert refused.status_code == 404 and "deconstruction" in refused.data["errors"]


@pytest.mark.parametrize(
    "payload, field",
    [
        ({}, "user_query"),
        ({"user_query": "x", "skill_type": "magic"}, "skill_type"),
        ({"title": "x" * 300, "user_query": "x", "skill_type": "abstract"}, "title"),
    ],
)
def test_bad_roadmaps_get_400_and_write_nothing(owner, payload, field):
    response = client_for(owner).post("/api/roadmaps/", payload, format="json")
    assert response.status_code == 400 and field in response.data["errors"]
    assert Roadmap.objects.count() == 0 and SkillDeconstruction.objects.count() == 0


def test_milestone_actions_follow_the_transitions(owner, progress):
    client = client_for(owner)
    refused = client.post(f"/api/milestone-progress/{progress.pk}/complete/")
    assert refused.status_code == 409
    assert "cannot go from not_started to completed" in refused.data["errors"]["status"][0]
    assert client.post(f"/api/milestone-progress/{progress.pk}/start/").data["status"] == "in_progress"
    assert client.post(f"/api/milestone-progress/{progress.pk}/fail/").data["status"] == "failed"
    assert client.post(f"/api/milestone-progress/{progress.pk}/reset/").data["status"] == "not_started"
    client.post(f"/api/milestone-progress/{progress.pk}/start/")
    assert client.post(f"/api/milestone-progress/{progress.pk}/complete/").data["status"] == "completed"
    assert client.get("/api/milestone-progress/?status=completed").data["count"] == 1


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"activity_type": "dancing", "title": "x"}, "activity_type"),
        ({"activity_type": "reading", "title": "x", "difficulty_rating": 6}, "difficulty_rating"),
        ({"activity_type": "reading", "title": ""}, "title"),
        ({"activity_type": "reading", "title": "x", "completion_time": -1}, "completion_time"),
    ],
)
def test_bad_practice_activities_get_400_and_write_nothing(owner, progress, payload, field):
    response = client_for(owner).post(
        "/api/practice-activities/", {"milestone_progress": str(progress.pk), **payload}, format="json"
    )
    assert response.status_code == 400 and field in response.data["errors"]
    assert PracticeActivity.objects.count() == 0
    progress.refresh_from_db()
    assert progress.practice_attempts == 0


def test_practice_activities_are_listed_and_filtered(owner, roadmap, progress):
    other = roadmap.deconstruction.progress.get(milestone_id="m1-2")
    practice_activity_log(progress=progress, activity_type="reading", title="a")
    practice_activity_log(progress=other, activity_type="video", title="b", reps=1)
    client = client_for(owner)
    assert client.get("/api/practice-activities/").data["count"] == 2
    assert client.get(f"/api/practice-activities/?milestone={progress.pk}").data["count"] == 1
    assert client.get("/api/practice-activities/?activity_type=video").data["results"][0]["title"] == "b"
    today = progress.activities.get().created_at.date().isoformat()
    assert client.get(f"/api/practice-activities/?date={today}").data["count"] == 2
    assert client.get("/api/practice-activities/?date=2001-01-01").data["count"] == 0


@pytest.mark.parametrize("milestones_per_level", [1, 10])  # 3 and 30 milestones
def test_the_roadmap_detail_runs_a_fixed_number_of_queries(owner, django_assert_num_queries, milestones_per_level):
    deconstruction, _ = deconstruction_create(
        owner=owner, user_query="x", skill_type="abstract", data=plan(milestones_per_level=milestones_per_level)
    )
    roadmap = roadmap_create(owner=owner, title="t", deconstruction=deconstruction)
    client = client_for(owner)
    # the roadmap joined with its deconstruction, its progress rows
    with django_assert_num_queries(2):
        response = client.get(f"/api/roadmaps/{roadmap.pk}/")
    assert sum(len(level["milestones"]) for level in response.data["levels"]) == 3 * milestones_per_level


@pytest.mark.parametrize(
    "query, status",
    [
        ("created_before=7676-07-19T10:38:45%2B21:14", 200),  # an offset PostgreSQL would refuse
        ("created_after=0001-01-01T00:00:00%2B11:01", 200),  # before year 1 in UTC: the first moment there is
        ("created_after=yesterday", 400),
    ],
)
def test_odd_date_times_are_converted_to_utc_or_refused(owner, query, status):
    assert client_for(owner).get(f"/api/practice-activities/?{query}").status_code == status


def test_the_owner_writes_notes_on_a_milestone_and_nothing_else_changes(owner, progress):
    client = client_for(owner)
    before = client.get(f"/api/milestone-progress/{progress.pk}/").data
    response = client.patch(
        f"/api/milestone-progress/{progress.pk}/", {"notes": "Cascade smoother", "status": "completed"}, format="json"
    )
    assert response.status_code == 200
    assert response.data == {**before, "notes": "Cascade smoother"}
    assert MilestoneProgress.objects.get(pk=progress.pk).notes == "Cascade smoother"


def test_a_patch_without_notes_changes_nothing(owner, progress):
    response = client_for(owner).patch(f"/api/milestone-progress/{progress.pk}/", {}, format="json")
    assert response.status_code == 200 and response.data["notes"] == ""


@pytest.mark.parametrize("body", [{"notes": None}, {"notes": 3.2e16}, {"notes": "x" * 10_001}])
def test_bad_notes_get_a_400_naming_the_field_and_change_nothing(owner, progress, body):
    response = client_for(owner).patch(f"/api/milestone-progress/{progress.pk}/", body, format="json")
    assert response.status_code == 400 and "notes" in response.data["errors"]
    assert MilestoneProgress.objects.get(pk=progress.pk).notes == ""
