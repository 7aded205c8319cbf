"""Milestones that unlock agent skills: completing one grants the learner its unlocks_skills
through the skills registry's unlock service, in the completion's transaction."""

import pytest
from rest_framework.test import APIClient

from roadmaps import agent_skills
from roadmaps.agent_skills import SKILL_UNLOCK_REASON
from roadmaps.services.goals import deconstruction_create
from roadmaps.services.milestones import milestone_complete, milestone_reset, milestone_start
from roadmaps.services.practice import practice_activity_log
from roadmaps.services.roadmaps import roadmap_create
from skills.models import Skill, SkillUnlock
from skills.services.registry import skill_unlock_revoke, skill_version_publish
from tests.factories import SkillFactory, UserFactory, progress_of
from tests.roadmaps.plans import gated_plan

pytestmark = pytest.mark.django_db

REASON = SKILL_UNLOCK_REASON.format(milestone="Milestone 2.1", roadmap="SQL for analysts")


@pytest.fixture
def owner():
    """A learner whose own plans may unlock agent skills (tests/roadmaps/test_unlock_authority.py
    covers everyone else)."""
    return UserFactory(permissions=["grant_unlock"])


@pytest.fixture
def sql_optimize():
    skill = SkillFactory(skill_id="sql-optimize")
    skill_version_publish(skill=skill, version="1.0.0", content="---\nname: sql-optimize\n---\nbody\n")
    return skill


@pytest.fixture
def roadmap(owner, sql_optimize):
    data = gated_plan(unlocks_skills=("sql-optimize",))
    deconstruction, _ = deconstruction_create(owner=owner, user_query="learn sql", data=data)
    roadmap = roadmap_create(owner=owner, title="SQL for analysts", deconstruction=deconstruction)
    for milestone_id in ("m1-1", "m1-2"):  # m2-1's prerequisites
        practice_activity_log(progress=progress_of(roadmap, milestone_id), activity_type="drill", title="x", reps=1)
    return roadmap


def api_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def available_to(user) -> list[str]:
    return [row["name"] for row in api_for(user).get("/api/skills/available/").data["results"]]


def test_completing_the_milestone_grants_its_skill_from_the_system(owner, roadmap, sql_optimize):
    assert available_to(owner) == []
    progress = progress_of(roadmap, "m2-1")
    milestone_start(progress=progress)
    milestone_complete(progress=progress)
    unlock = SkillUnlock.objects.get(user=owner, skill=sql_optimize)
    assert (unlock.unlocked, unlock.unlock_reason, unlock.granted_by) == (True, REASON, None)
    assert available_to(owner) == ["sql-optimize"]
    assert not SkillUnlock.objects.exclude(user=owner).exists()


def test_practice_reaching_reps_times_sets_grants_it_too(owner, roadmap, sql_optimize):
    practice_activity_log(progress=progress_of(roadmap, "m2-1"), activity_type="drill", title="x", reps=1)
    assert progress_of(roadmap, "m2-1").status == "completed"
    assert SkillUnlock.objects.get(user=owner, skill=sql_optimize).unlock_reason == REASON


def test_the_api_complete_action_grants_it(owner, roadmap):
    progress = progress_of(roadmap, "m2-1")
    api = api_for(owner)
    api.post(f"/api/milestone-progress/{progress.pk}/start/")
    assert api.post(f"/api/milestone-progress/{progress.pk}/complete/").status_code == 200
    assert available_to(owner) == ["sql-optimize"]


def test_resetting_does_not_revoke_and_completing_again_keeps_an_admins_revoke(owner, roadmap, sql_optimize):
    progress = progress_of(roadmap, "m2-1")
    milestone_start(progress=progress)
    milestone_complete(progress=progress)
    milestone_reset(progress=progress)
    assert SkillUnlock.objects.get(user=owner, skill=sql_optimize).unlocked
    admin = UserFactory(is_staff=True)
    skill_unlock_revoke(user=owner, skill_id=sql_optimize.skill_id, reason="misused", revoked_by=admin)
    milestone_start(progress=progress)
    milestone_complete(progress=progress)
    unlock = SkillUnlock.objects.get(user=owner, skill=sql_optimize)
    assert (unlock.unlocked, unlock.unlock_reason) == (False, "misused")


def test_the_grant_is_in_the_completions_transaction(owner, roadmap, monkeypatch):
    def refuse(**kwargs):
        raise RuntimeError("the registry is down")

    monkeypatch.setattr(agent_skills, "skill_unlock_grant", refuse)
    progress = progress_of(roadmap, "m2-1")
    milestone_start(progress=progress)
    with pytest.raises(RuntimeError):
        milestone_complete(progress=progress)
    assert progress_of(roadmap, "m2-1").status == "in_progress"


def test_a_skill_not_registered_yet_is_a_pending_unlock_that_takes_effect_when_it_is_registered(owner):
    data = gated_plan(unlocks_skills=("not-registered-yet",))
    deconstruction, _ = deconstruction_create(owner=owner, user_query="x", data=data)
    roadmap = roadmap_create(owner=owner, title="t", deconstruction=deconstruction)
    for milestone_id in ("m1-1", "m1-2", "m2-1"):
        practice_activity_log(progress=progress_of(roadmap, milestone_id), activity_type="drill", title="x", reps=1)
    assert progress_of(roadmap, "m2-1").status == "completed"
    pending = SkillUnlock.objects.pending().get(user=owner)
    assert pending.skill_id == "not-registered-yet" and pending.granted_by is None
    assert not Skill.objects.available_to(owner).filter(skill_id="not-registered-yet").exists()
    SkillFactory(skill_id="not-registered-yet", tier="advanced")
    assert Skill.objects.available_to(owner).filter(skill_id="not-registered-yet").exists()


def card_of(html: str, milestone_id: str) -> str:
    return html.split(f'id="milestone-{milestone_id}"')[1].split("</article>")[0]


def test_the_page_says_which_skill_a_milestone_unlocks_and_links_it_once_unlocked(client, owner, roadmap):
    client.force_login(owner)
    card = card_of(client.get(f"/roadmaps/{roadmap.pk}/").content.decode(), "m2-1")
    assert "Completing it unlocks the agent skill <code>sql-optimize</code>" in card
    assert "/api/skills/sql-optimize/" not in card
    practice_activity_log(progress=progress_of(roadmap, "m2-1"), activity_type="drill", title="x", reps=1)
    card = card_of(client.get(f"/roadmaps/{roadmap.pk}/").content.decode(), "m2-1")
    assert 'Agent skill unlocked: <a href="/api/skills/sql-optimize/">sql-optimize</a>' in card


def test_the_roadmap_detail_lists_the_skills_a_milestone_unlocks(owner, roadmap):
    levels = api_for(owner).get(f"/api/roadmaps/{roadmap.pk}/").data["levels"]
    assert [m["unlocks_skills"] for level in levels for m in level["milestones"]] == [
        [], [], ["sql-optimize"], [], [], []
    ]  # fmt: skip


@pytest.mark.parametrize("milestones_per_level", [1, 10])
def test_the_page_with_skills_to_unlock_runs_a_fixed_number_of_queries(
    client, owner, sql_optimize, django_assert_num_queries, milestones_per_level
):
    data = gated_plan(unlocks_skills=("sql-optimize",))
    for level in data["levels"]:
        for n in range(milestones_per_level):
            extra = {**level["milestones"][-1], "id": f"{level['level']}-extra-{n}", "prerequisites": []}
            level["milestones"].append(extra | {"unlocks_skills": [f"skill-{n}"]})
    data["totalEstimatedTime"] = sum(m["estimatedTime"] for level in data["levels"] for m in level["milestones"])
    deconstruction, _ = deconstruction_create(owner=owner, user_query="x", data=data)
    roadmap = roadmap_create(owner=owner, title="t", deconstruction=deconstruction)
    client.force_login(owner)
    # session, user, the roadmap with its deconstruction, progress rows, their activities, the
    # skills among those the plan unlocks that the learner may load
    with django_assert_num_queries(6):
        response = client.get(f"/roadmaps/{roadmap.pk}/")
    assert response.content.decode().count('class="unlocks small"') == 1 + 3 * milestones_per_level
