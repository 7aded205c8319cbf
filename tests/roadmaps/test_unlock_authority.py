"""Issue 24, point 1: a milestone's unlocks_skills takes effect only for plans whose author may
grant skills — the catalog, staff, or an account holding `skills.grant_unlock`. A learner's own
plan naming skills is refused when posted (400 naming the JSON path and the skills); a plan
stored before the rule, or an engine's plan, grants nothing when completed."""

import pytest
from rest_framework.test import APIClient

from roadmaps.choices import PlanOrigin
from roadmaps.models import Roadmap, SkillDeconstruction
from roadmaps.plan import milestones_of
from roadmaps.services.goals import deconstruction_create
from roadmaps.services.milestones import milestone_complete, milestone_start
from roadmaps.services.practice import practice_activity_log
from roadmaps.services.roadmaps import roadmap_create
from skills.models import SkillUnlock
from skills.services.registry import skill_version_publish
from tests.factories import SkillFactory, UserFactory, progress_of
from tests.roadmaps.plans import gated_plan

pytestmark = pytest.mark.django_db

PATH = "levels[1].milestones[0].unlocks_skills"


@pytest.fixture
def security_audit():
    skill = SkillFactory(skill_id="security-audit", tier="advanced")
    skill_version_publish(skill=skill, version="1.0.0", content="---\nname: security-audit\n---\nsecret steps\n")
    return skill


def api_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def complete_the_unlocking_milestone(roadmap) -> None:
    for milestone_id in ("m1-1", "m1-2"):  # m2-1's prerequisites
        practice_activity_log(progress=progress_of(roadmap, milestone_id), activity_type="drill", title="x", reps=1)
    progress = progress_of(roadmap, "m2-1")
    milestone_start(progress=progress)
    milestone_complete(progress=progress)


def test_a_learner_posting_a_plan_that_unlocks_a_locked_skill_is_refused_naming_it(security_audit):
    attacker = UserFactory()
    api = api_for(attacker)
    body = {"user_query": "learn sql", "deconstruction_data": gated_plan(unlocks_skills=("security-audit", "x-ray"))}
    response = api.post("/api/deconstructions/", body, format="json")
    assert response.status_code == 400
    message = response.data["errors"][PATH][0]
    assert "security-audit, x-ray" in message and "skills.grant_unlock" in message
    assert not SkillDeconstruction.objects.exists() and not Roadmap.objects.exists()
    assert not SkillUnlock.objects.exists()
    assert api.get("/api/skills/security-audit/content/").status_code == 403


def test_a_plan_without_unlocks_is_still_accepted_from_a_learner():
    response = api_for(UserFactory()).post(
        "/api/deconstructions/", {"user_query": "learn sql", "deconstruction_data": gated_plan()}, format="json"
    )
    assert response.status_code == 201


def test_a_plan_stored_before_the_rule_grants_nothing_when_completed(security_audit):
    attacker = UserFactory()
    # as the row the self-unlock attack left behind: a learner's own plan naming a locked skill
    deconstruction = SkillDeconstruction.objects.create(
        owner=attacker, user_query="learn sql", skill_name="SQL", skill_type="abstract",
        origin=PlanOrigin.CUSTOM, deconstruction_data=gated_plan(unlocks_skills=("security-audit",)),
    )  # fmt: skip
    roadmap = roadmap_create(owner=attacker, title="mine", deconstruction=deconstruction)
    complete_the_unlocking_milestone(roadmap)
    assert progress_of(roadmap, "m2-1").status == "completed"
    assert not SkillUnlock.objects.exists()
    api = api_for(attacker)
    assert api.get("/api/skills/security-audit/content/").status_code == 403
    assert api.get("/api/skills/security-audit/bundle/").status_code == 403


def test_an_engine_plan_naming_skills_grants_nothing(security_audit):
    learner = UserFactory()
    deconstruction = SkillDeconstruction.objects.create(
        owner=learner, user_query="learn sql", skill_name="SQL", skill_type="abstract",
        origin=PlanOrigin.LLM, deconstruction_data=gated_plan(unlocks_skills=("security-audit",)),
    )  # fmt: skip
    complete_the_unlocking_milestone(roadmap_create(owner=learner, title="t", deconstruction=deconstruction))
    assert not SkillUnlock.objects.exists()


@pytest.mark.parametrize(
    "author", [{"is_staff": True}, {"permissions": ["grant_unlock"]}], ids=["staff", "grant_unlock permission"]
)
def test_a_plan_posted_by_someone_allowed_to_grant_unlocks_on_completion(security_audit, author):
    planner = UserFactory(**author)
    response = api_for(planner).post(
        "/api/deconstructions/",
        {"user_query": "learn sql", "deconstruction_data": gated_plan(unlocks_skills=("security-audit",))},
        format="json",
    )
    assert response.status_code == 201, response.data
    deconstruction = SkillDeconstruction.objects.get(pk=response.data["id"])
    complete_the_unlocking_milestone(roadmap_create(owner=planner, title="t", deconstruction=deconstruction))
    assert SkillUnlock.objects.get(user=planner, skill=security_audit).unlocked


def test_a_catalog_plan_unlocks_its_skills_for_any_learner():
    sql_optimize = SkillFactory(skill_id="sql-optimize", tier="advanced")
    learner = UserFactory()
    deconstruction, _ = deconstruction_create(owner=learner, user_query="learn sql", catalog_entry="sql-databases")
    assert deconstruction.origin == PlanOrigin.CATALOG
    roadmap = roadmap_create(owner=learner, title="SQL", deconstruction=deconstruction)
    for milestone in milestones_of(deconstruction.deconstruction_data):  # in order, up to the one that unlocks
        progress = progress_of(roadmap, milestone.id)
        practice_activity_log(progress=progress, activity_type="drill", title="x", reps=milestone.target)
        if milestone.unlocks_skills:
            break
    assert milestone.unlocks_skills == ("sql-optimize",)
    assert SkillUnlock.objects.get(user=learner, skill=sql_optimize).unlocked


def test_losing_the_permission_stops_the_plan_from_granting(security_audit):
    planner = UserFactory(permissions=["grant_unlock"])
    deconstruction, _ = deconstruction_create(
        owner=planner, user_query="learn sql", data=gated_plan(unlocks_skills=("security-audit",))
    )
    roadmap = roadmap_create(owner=planner, title="t", deconstruction=deconstruction)
    planner.user_permissions.clear()
    complete_the_unlocking_milestone(roadmap)
    assert not SkillUnlock.objects.exists()
