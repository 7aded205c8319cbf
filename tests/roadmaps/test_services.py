"""Roadmap services: creation from a goal, milestone transitions, the reps × sets rule, progress."""

import pytest
from django.core.exceptions import ValidationError

from roadmaps.models import MilestoneProgress, MilestoneStatus, PracticeActivity, Roadmap, SkillDeconstruction
from roadmaps.selectors import roadmap_progress
from roadmaps.services import (
    COMPLETED_MILESTONE,
    deconstruction_create,
    milestone_complete,
    milestone_fail,
    milestone_reset,
    milestone_start,
    practice_activity_log,
    roadmap_create,
    roadmap_create_from_goal,
)
from skills.models import UsageEvent
from tests.factories import UserFactory, make_roadmap
from tests.roadmaps.plans import plan

pytestmark = pytest.mark.django_db


def progress_of(roadmap, milestone_id: str) -> MilestoneProgress:
    return roadmap.deconstruction.progress.get(milestone_id=milestone_id)


def practise(progress, *, completed: bool = True, times: int = 1) -> None:
    for n in range(times):
        practice_activity_log(
            progress=progress, activity_type="physical_practice", title=f"set {n}", completed=completed
        )


def test_a_roadmap_from_a_goal_has_one_progress_row_per_milestone_and_logs_the_generation():
    learner = UserFactory()
    roadmap, warnings = roadmap_create_from_goal(owner=learner, user_query="learn to juggle", skill_type="physical")
    assert warnings == []
    assert roadmap.is_deconstructed and roadmap.title == "Juggle"
    assert roadmap.deconstruction.progress.count() == 6
    assert set(roadmap.deconstruction.progress.values_list("status", flat=True)) == {MilestoneStatus.NOT_STARTED}
    event = UsageEvent.objects.get(skill_id="roadmap-deconstructor")
    assert event.user == learner and event.outcome == "success" and event.latency_ms is not None


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
    practise(progress, completed=False)
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
    with pytest.raises(ValidationError, match=COMPLETED_MILESTONE.format(milestone="m1-1")):
        practise(progress)
    assert PracticeActivity.objects.count() == 4


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
