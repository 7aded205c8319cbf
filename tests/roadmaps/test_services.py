"""Roadmap services: creation from a goal, milestone transitions, the reps × sets rule, progress."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from rest_framework.test import APIClient

from roadmaps.deconstruction import LLM_SKILL_ID, OFFLINE_SKILL_ID, offline_plan
from roadmaps.models import MilestoneProgress, MilestoneStatus, PracticeActivity, Roadmap, SkillDeconstruction
from roadmaps.selectors.roadmaps import roadmap_progress
from roadmaps.services.goals import (
    BAD_SKILL_TYPE,
    GENERATION_WORKFLOW,
    NO_CATALOG_MATCH,
    QUERY_REQUIRED,
    deconstruction_create,
)
from roadmaps.services.milestones import milestone_complete, milestone_fail, milestone_reset, milestone_start
from roadmaps.services.practice import practice_activity_log
from roadmaps.services.roadmaps import TITLE_TOO_LONG, roadmap_create, roadmap_create_from_goal
from skills.models import UsageEvent
from tests.factories import UserFactory, make_roadmap
from tests.roadmaps import fakes
from tests.roadmaps.plans import plan

pytestmark = pytest.mark.django_db


def progress_of(roadmap, milestone_id: str) -> MilestoneProgress:
    return roadmap.deconstruction.progress.get(milestone_id=milestone_id)


def practise(progress, *, reps: int = 1, times: int = 1) -> None:
    for n in range(times):
        practice_activity_log(progress=progress, activity_type="exercise", title=f"set {n}", reps=reps)


def test_a_roadmap_from_a_goal_has_one_progress_row_per_milestone_and_logs_the_generation():
    learner = UserFactory()
    roadmap, warnings = roadmap_create_from_goal(owner=learner, user_query="learn to juggle", skill_type="abstract")
    assert warnings == []
    assert roadmap.is_deconstructed and roadmap.title == "Juggling three balls"
    deconstruction = roadmap.deconstruction
    assert (deconstruction.origin, deconstruction.catalog_entry, deconstruction.skill_type) == (
        "catalog",
        "juggling",
        "physical",  # the catalog's kind wins over the one given
    )
    assert deconstruction.progress.count() == len(deconstruction.milestone_ids()) == 8
    assert set(deconstruction.progress.values_list("status", flat=True)) == {MilestoneStatus.NOT_STARTED}
    event = UsageEvent.objects.get(skill_id="roadmap-catalog")
    assert event.user == learner and event.outcome == "success" and event.latency_ms is not None
    assert event.artifacts["catalog_entry"] == "juggling"


def test_a_goal_the_catalog_does_not_know_gets_the_generic_engine_and_the_closest_entries():
    roadmap, warnings = roadmap_create_from_goal(owner=UserFactory(), user_query="learn to ride a unicycle")
    deconstruction = roadmap.deconstruction
    assert (deconstruction.origin, deconstruction.catalog_entry, deconstruction.is_generic) == ("generic", "", True)
    assert deconstruction.skill_type == "mixed"  # nothing in the goal says how it is practised
    assert warnings[-1].startswith(NO_CATALOG_MATCH.split("{")[0]) and warnings[-1].count(", ") >= 2
    assert UsageEvent.objects.get().skill_id == OFFLINE_SKILL_ID


def test_a_bad_plan_writes_nothing():
    data = plan()
    data["levels"][0]["milestones"][0]["doThisNow"]["reps"] = 0
    with pytest.raises(ValidationError) as excinfo:
        deconstruction_create(owner=UserFactory(), user_query="x", skill_type="abstract", data=data)
    assert "levels[0].milestones[0].doThisNow.reps" in excinfo.value.message_dict
    assert SkillDeconstruction.objects.count() == 0 and Roadmap.objects.count() == 0


def test_a_roadmap_cannot_use_another_learners_deconstruction():
    deconstruction, _ = deconstruction_create(owner=UserFactory(), user_query="x", skill_type="abstract", data=plan())
    with pytest.raises(ValidationError):
        roadmap_create(owner=UserFactory(), title="mine", deconstruction=deconstruction)


def test_transitions_follow_the_rules_and_keep_timestamps():
    progress = progress_of(make_roadmap(UserFactory()), "m1-1")
    with pytest.raises(ValidationError, match="cannot go from not_started to completed"):
        milestone_complete(progress=progress)
    progress = milestone_start(progress=progress)
    started = progress.started_at
    assert progress.status == MilestoneStatus.IN_PROGRESS and started
    progress = milestone_fail(progress=progress)
    assert progress.status == MilestoneStatus.FAILED
    progress = milestone_start(progress=progress)
    assert progress.started_at == started
    progress = milestone_complete(progress=progress)
    assert progress.status == MilestoneStatus.COMPLETED and progress.completed_at
    with pytest.raises(ValidationError):
        milestone_fail(progress=progress)
    progress = milestone_reset(progress=progress)
    assert (progress.status, progress.started_at, progress.completed_at) == (MilestoneStatus.NOT_STARTED, None, None)


def test_practice_starts_a_milestone_and_counts_attempts_and_completions():
    progress = progress_of(make_roadmap(UserFactory()), "m1-2")  # reps 3 × sets 1
    practise(progress, reps=0)
    progress.refresh_from_db()
    assert (progress.status, progress.practice_attempts, progress.practice_completions) == ("in_progress", 1, 0)
    practise(progress, times=2)
    progress.refresh_from_db()
    assert (progress.status, progress.practice_attempts, progress.practice_completions) == ("in_progress", 3, 2)


def test_reaching_reps_times_sets_completions_completes_the_milestone():
    learner = UserFactory()
    deconstruction, _ = deconstruction_create(
        owner=learner, user_query="x", skill_type="abstract", data=plan(reps=2, sets=2)
    )
    roadmap = roadmap_create(owner=learner, title="t", deconstruction=deconstruction)
    progress = progress_of(roadmap, "m1-1")
    practise(progress, times=3)
    progress.refresh_from_db()
    assert progress.status == MilestoneStatus.IN_PROGRESS
    practise(progress)
    progress.refresh_from_db()
    assert progress.status == MilestoneStatus.COMPLETED and progress.practice_completions == 4
    practise(progress)  # more practice after completion is logged and keeps it completed
    progress.refresh_from_db()
    assert (progress.status, progress.practice_completions) == (MilestoneStatus.COMPLETED, 5)
    assert PracticeActivity.objects.count() == 5


def test_progress_is_weighted_by_minutes_per_level_and_overall():
    learner = UserFactory()
    deconstruction, _ = deconstruction_create(
        owner=learner, user_query="x", skill_type="abstract", data=plan(milestones_per_level=2, reps=1)
    )
    roadmap = roadmap_create(owner=learner, title="t", deconstruction=deconstruction)
    # levels: 2 × 10 min, 2 × 20 min, 2 × 30 min = 120 minutes
    practise(progress_of(roadmap, "m1-1"))
    practise(progress_of(roadmap, "m3-2"))
    roadmap = Roadmap.objects.get(pk=roadmap.pk)
    figures = roadmap_progress(roadmap)
    assert (figures["minutes_done"], figures["minutes_total"], figures["percent"]) == (40, 120, 33)
    assert [(lv["percent"], lv["minutes_done"]) for lv in figures["levels"]] == [(50, 10), (0, 0), (50, 30)]
    assert (figures["milestones_completed"], figures["milestones_total"]) == (2, 6)


@pytest.fixture
def llm(settings):
    settings.DECONSTRUCTION_LLM_URL = "http://127.0.0.1:9/v1/chat/completions"
    settings.DECONSTRUCTION_LLM_MODEL = "test-model"
    settings.DECONSTRUCTION_LLM_USD_PER_1K_TOKENS = "0.01"
    fakes.CALLS.clear()
    return settings


def test_an_llm_plan_is_used_and_its_generation_logged_with_tokens_and_cost(llm):
    llm.DECONSTRUCTION_GENERATOR = "tests.roadmaps.fakes.GoodLLM"
    learner = UserFactory()
    depth = len(connection.atomic_blocks)
    roadmap, warnings = roadmap_create_from_goal(owner=learner, user_query="ride a unicycle", skill_type="physical")
    assert roadmap.deconstruction.deconstruction_data == plan(milestones_per_level=2)
    assert roadmap.deconstruction.origin == "llm" and [w[:20] for w in warnings] == [NO_CATALOG_MATCH[:20]]
    assert roadmap.deconstruction.progress.count() == 6
    assert fakes.CALLS[0]["atomic_depth"] == depth  # the model was asked outside any transaction of the service
    event = UsageEvent.objects.get()
    assert (event.skill_id, event.outcome, event.user, event.tokens_used) == (LLM_SKILL_ID, "success", learner, 900)
    assert event.cost_usd == Decimal("0.009") and event.workflow_path == GENERATION_WORKFLOW
    assert event.artifacts == {
        "deconstruction_id": str(roadmap.deconstruction_id),
        "skill_type": "physical",
        "origin": "llm",
        "catalog_entry": "",
    }


def test_an_unusable_llm_answer_gives_the_offline_plan_a_warning_and_an_error_event(llm):
    llm.DECONSTRUCTION_GENERATOR = "tests.roadmaps.fakes.BadLLM"
    goal = {"user_query": "ride a unicycle", "skill_type": "physical"}
    roadmap, warnings = roadmap_create_from_goal(owner=UserFactory(), **goal)
    assert warnings and warnings[0].startswith("The language model's plan could not be used (not JSON")
    assert roadmap.deconstruction.deconstruction_data == offline_plan("ride a unicycle", "physical")
    assert roadmap.deconstruction.origin == "generic"
    event = UsageEvent.objects.get()
    assert (event.skill_id, event.outcome, event.error_type) == (LLM_SKILL_ID, "error", "InvalidPlan")


def test_a_failed_roadmap_keeps_neither_the_deconstruction_nor_its_usage_event(monkeypatch):
    def refuse(**kwargs):
        raise ValidationError({"title": ["refused"]})

    monkeypatch.setattr("roadmaps.services.roadmaps.roadmap_create", refuse)
    with pytest.raises(ValidationError):
        roadmap_create_from_goal(owner=UserFactory(), user_query="learn to juggle", skill_type="physical")
    assert not SkillDeconstruction.objects.exists() and not UsageEvent.objects.exists()


@pytest.mark.parametrize(
    "fields, error",
    [
        ({"user_query": "  ", "skill_type": "physical"}, {"user_query": [QUERY_REQUIRED]}),
        ({"user_query": "juggle", "skill_type": "mental"}, {"skill_type": [BAD_SKILL_TYPE]}),
        ({"user_query": "juggle", "skill_type": "physical", "title": "x" * 256}, {"title": [TITLE_TOO_LONG]}),
    ],
)
def test_a_bad_goal_is_refused_before_the_engine_runs(settings, fields, error):
    settings.DECONSTRUCTION_GENERATOR = "tests.roadmaps.fakes.GoodLLM"
    fakes.CALLS.clear()
    with pytest.raises(ValidationError) as excinfo:
        roadmap_create_from_goal(owner=UserFactory(), **fields)
    assert excinfo.value.message_dict == error
    assert fakes.CALLS == [] and not UsageEvent.objects.exists()


def test_posted_plans_are_not_logged_as_generations():
    deconstruction_create(owner=UserFactory(), user_query="mine", skill_type="abstract", data=plan())
    assert not UsageEvent.objects.exists()


def test_the_api_passes_the_engines_warnings_on(llm):
    llm.DECONSTRUCTION_GENERATOR = "tests.roadmaps.fakes.BadLLM"
    client = APIClient()
    client.force_authenticate(UserFactory())
    for url in ["/api/roadmaps/", "/api/deconstructions/"]:
        response = client.post(url, {"user_query": "ride a unicycle", "skill_type": "physical"}, format="json")
        assert response.status_code == 201 and response.data["warnings"][0].startswith("The language model's plan")
        assert len(response.data["closest_catalog_entries"]) == 3
