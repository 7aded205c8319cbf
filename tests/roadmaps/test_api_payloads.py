"""Every bad payload gets a 400 naming the field or the JSON path, and writes nothing."""

import uuid

import pytest
from rest_framework.test import APIClient

from roadmaps.models import MilestoneProgress, PracticeActivity, Roadmap, SkillDeconstruction
from roadmaps.plan import BAD_DIFFICULTY, DUPLICATE_ID, LEVELS_OUT_OF_ORDER, MUST_BE_COUNT, MUST_BE_OBJECT, MUST_BE_TEXT
from roadmaps.serializers.practice import COMPLETED_IS_DERIVED
from skills.models import UsageEvent
from tests.factories import PracticeActivityFactory, RoadmapFactory, UserFactory, api_key_of, progress_of
from tests.roadmaps.plans import broken

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def milestone(data: dict, level: int = 0) -> dict:
    return data["levels"][level]["milestones"][0]


@pytest.mark.parametrize(
    "mutate, path, message",
    [
        (lambda d: milestone(d)["doThisNow"].update(reps=0), "levels[0].milestones[0].doThisNow.reps", MUST_BE_COUNT),
        (lambda d: milestone(d, 1)["doThisNow"].update(sets=1.5), "levels[1].milestones[0].doThisNow.sets",
         MUST_BE_COUNT),
        (lambda d: milestone(d)["doThisNow"].pop("prompt"), "levels[0].milestones[0].doThisNow.prompt", MUST_BE_TEXT),
        (lambda d: milestone(d)["doThisNow"].update(successCriteria=" "),
         "levels[0].milestones[0].doThisNow.successCriteria", MUST_BE_TEXT),
        (lambda d: milestone(d).update(doThisNow=[]), "levels[0].milestones[0].doThisNow", MUST_BE_OBJECT),
        (lambda d: milestone(d, 2).update(id="m1-1"), "levels[2].milestones[0].id", DUPLICATE_ID.format(id="m1-1")),
        (lambda d: milestone(d).pop("id"), "levels[0].milestones[0].id", MUST_BE_TEXT),
        (lambda d: milestone(d).update(estimatedTime="30"), "levels[0].milestones[0].estimatedTime", MUST_BE_COUNT),
        (lambda d: milestone(d).pop("icon"), "levels[0].milestones[0].icon", MUST_BE_TEXT),
        (lambda d: d["levels"][1].update(level=True), "levels[1].level", LEVELS_OUT_OF_ORDER),
        (lambda d: d["levels"][1].update(level=3), "levels[1].level", LEVELS_OUT_OF_ORDER),
        (lambda d: d["levels"][0].update(milestones=[]), "levels[0].milestones", "must be a non-empty list"),
        (lambda d: d["levels"][0].pop("description"), "levels[0].description", MUST_BE_TEXT),
        (lambda d: d.update(difficulty="expert"), "difficulty", BAD_DIFFICULTY),
        (lambda d: d.update(totalEstimatedTime=0), "totalEstimatedTime", MUST_BE_COUNT),
    ],
)  # fmt: skip
def test_a_bad_plan_gets_400_naming_its_json_path_and_writes_nothing(mutate, path, message):
    payload = {"user_query": "x", "skill_type": "abstract", "deconstruction_data": broken(mutate)}
    response = client_for(UserFactory()).post("/api/deconstructions/", payload, format="json")
    assert response.status_code == 400
    assert response.data["errors"][path] == [message]
    assert not SkillDeconstruction.objects.exists() and not UsageEvent.objects.exists()


@pytest.mark.parametrize("data", [None, "a plan", ["levels"], {"levels": "three"}])
def test_a_plan_that_is_not_a_plan_at_all_gets_400(data):
    payload = {"user_query": "x", "skill_type": "abstract", "deconstruction_data": data}
    response = client_for(UserFactory()).post("/api/deconstructions/", payload, format="json")
    assert response.status_code == 400 and set(response.data["errors"]) & {"deconstruction_data", "levels"}
    assert not SkillDeconstruction.objects.exists()


@pytest.fixture
def progress():
    return progress_of(RoadmapFactory(deconstruction__reps=1))


@pytest.mark.parametrize(
    "milestone_progress, status",
    [
        (lambda p: str(uuid.uuid4()), 404),  # no such row
        (lambda p: str(progress_of(RoadmapFactory()).pk), 404),  # another learner's: not found either
        (lambda p: "not-a-uuid", 400),
        (lambda p: None, 400),
    ],
)
def test_practice_for_a_milestone_not_yours_is_refused(progress, milestone_progress, status):
    before = PracticeActivity.objects.count()
    response = client_for(progress.deconstruction.owner).post(
        "/api/practice-activities/",
        {"milestone_progress": milestone_progress(progress), "activity_type": "reading", "title": "x"},
        format="json",
    )
    assert response.status_code == status and "milestone_progress" in response.data["errors"]
    assert PracticeActivity.objects.count() == before


def test_practice_on_a_completed_milestone_is_logged_and_keeps_it_completed(progress):
    PracticeActivityFactory(progress=progress, reps=1)  # reps 1 × sets 1: completed
    response = client_for(progress.deconstruction.owner).post(
        "/api/practice-activities/",
        {"milestone_progress": str(progress.pk), "activity_type": "reading", "title": "again", "reps": 2},
        format="json",
    )
    assert response.status_code == 201
    assert response.data["progress"]["status"] == "completed" and response.data["progress"]["practice_completions"] == 3
    progress.refresh_from_db()
    assert (progress.status, progress.practice_attempts, progress.practice_completions) == ("completed", 2, 3)


def test_practice_that_says_completed_instead_of_reps_gets_400_and_writes_nothing(progress):
    response = client_for(progress.deconstruction.owner).post(
        "/api/practice-activities/",
        {"milestone_progress": str(progress.pk), "activity_type": "reading", "title": "x", "completed": True},
        format="json",
    )
    assert response.status_code == 400 and response.data["errors"]["completed"] == [COMPLETED_IS_DERIVED]
    assert not PracticeActivity.objects.exists()


@pytest.mark.parametrize("payload, field", [({"title": ""}, "title"), ({"title": "x" * 256}, "title")])
def test_a_bad_roadmap_edit_gets_400_and_changes_nothing(payload, field):
    roadmap = RoadmapFactory(title="Before")
    response = client_for(roadmap.owner).patch(f"/api/roadmaps/{roadmap.pk}/", payload, format="json")
    assert response.status_code == 400 and field in response.data["errors"]
    assert Roadmap.objects.get(pk=roadmap.pk).title == "Before"


def test_a_roadmap_from_a_deconstruction_that_does_not_exist_gets_404():
    response = client_for(UserFactory()).post("/api/roadmaps/", {"deconstruction": str(uuid.uuid4())}, format="json")
    assert response.status_code == 404 and "deconstruction" in response.data["errors"]
    assert not Roadmap.objects.exists() and not MilestoneProgress.objects.exists()


def test_a_token_authenticates_and_no_credentials_get_401_with_a_challenge():
    roadmap = RoadmapFactory()
    key = api_key_of(roadmap.owner, "read")
    client = APIClient()
    refused = client.get("/api/roadmaps/")
    assert refused.status_code == 401 and refused["WWW-Authenticate"] == "Token"
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/roadmaps/").data["count"] == 1


def test_practice_activities_name_their_milestone_and_filter_by_roadmap_and_plan_id():
    roadmap = RoadmapFactory(deconstruction__milestones_per_level=2)
    PracticeActivityFactory(progress=progress_of(roadmap, "m1-2"), reps=0)
    PracticeActivityFactory(progress=progress_of(roadmap, "m2-1"), reps=0)
    PracticeActivityFactory()  # another learner's roadmap
    client = client_for(roadmap.owner)
    listed = client.get(f"/api/practice-activities/?roadmap={roadmap.pk}").data
    assert sorted(row["milestone_id"] for row in listed["results"]) == ["m1-2", "m2-1"]
    assert client.get("/api/practice-activities/?milestone_id=m2-1").data["count"] == 1
    assert client.get(f"/api/practice-activities/?roadmap={uuid.uuid4()}").data["count"] == 0


def test_every_write_of_the_schema_has_examples():
    schema = client_for(UserFactory()).get("/api/schema/?format=json").json()
    for path in ["/api/deconstructions/", "/api/roadmaps/", "/api/practice-activities/"]:
        examples = schema["paths"][path]["post"]["requestBody"]["content"]["application/json"]["examples"]
        assert examples, path
    deconstruction_examples = schema["paths"]["/api/deconstructions/"]["post"]["requestBody"]["content"][
        "application/json"
    ]["examples"]
    assert set(deconstruction_examples) == {"FromAGoal", "FromYourOwnPlan"}
    progress = schema["paths"]["/api/roadmaps/{id}/progress/"]["get"]["responses"]["200"]["content"]
    assert progress["application/json"]["examples"]
    start = schema["paths"]["/api/milestone-progress/{id}/start/"]["post"]
    assert "400" in start["responses"] and start["description"]
