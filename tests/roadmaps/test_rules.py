"""The rules of seed 003, exhaustively: the transition table, reps × sets, and the progress figures."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from rest_framework.test import APIClient

from roadmaps.models import MILESTONE_TRANSITIONS, MilestoneProgress, MilestoneStatus, PracticeActivity, Roadmap
from roadmaps.selectors.roadmaps import roadmap_progress
from roadmaps.services.milestones import (
    ILLEGAL_MILESTONE_TRANSITION,
    milestone_complete,
    milestone_fail,
    milestone_reset,
    milestone_start,
)
from roadmaps.services.practice import practice_activity_log
from tests.factories import PracticeActivityFactory, RoadmapFactory, progress_of

ACTIONS = {
    MilestoneStatus.IN_PROGRESS: milestone_start,
    MilestoneStatus.COMPLETED: milestone_complete,
    MilestoneStatus.FAILED: milestone_fail,
    MilestoneStatus.NOT_STARTED: milestone_reset,
}
# A legal way into each status from not started.
PATHS = {
    MilestoneStatus.NOT_STARTED: [],
    MilestoneStatus.IN_PROGRESS: [milestone_start],
    MilestoneStatus.COMPLETED: [milestone_start, milestone_complete],
    MilestoneStatus.FAILED: [milestone_start, milestone_fail],
}


def progress_in(status: str) -> MilestoneProgress:
    progress = progress_of(RoadmapFactory())
    for step in PATHS[status]:
        progress = step(progress=progress)
    return progress


@pytest.mark.django_db
@pytest.mark.parametrize("current", MilestoneStatus.values)
@pytest.mark.parametrize("target", MilestoneStatus.values)
def test_every_transition_is_allowed_exactly_when_the_table_says(current, target):
    progress = progress_in(current)
    if target in MILESTONE_TRANSITIONS[current]:
        moved = ACTIONS[target](progress=progress)
        assert MilestoneProgress.objects.get(pk=progress.pk).status == moved.status == target
    else:
        with pytest.raises(ValidationError) as excinfo:
            ACTIONS[target](progress=progress)
        expected = ILLEGAL_MILESTONE_TRANSITION.format(milestone="m1-1", current=current, target=target)
        assert excinfo.value.message_dict == {"status": [expected]}
        assert MilestoneProgress.objects.get(pk=progress.pk).status == current


@pytest.mark.django_db
def test_a_restart_after_failing_keeps_the_first_start_time():
    failed = progress_in(MilestoneStatus.FAILED)
    restarted = milestone_start(progress=failed)
    assert restarted.started_at == failed.started_at and restarted.completed_at is None


@pytest.mark.django_db
@pytest.mark.parametrize("reps, sets", [(1, 1), (3, 1), (1, 3), (2, 3)])
def test_reps_times_sets_completions_complete_the_milestone_and_attempts_do_not(reps, sets):
    progress = progress_of(RoadmapFactory(deconstruction__reps=reps, deconstruction__sets=sets))
    PracticeActivityFactory.create_batch(3, progress=progress, reps=0)  # attempts only
    for done in range(1, reps * sets + 1):
        PracticeActivityFactory(progress=progress, reps=1)
        progress.refresh_from_db()
        expected = MilestoneStatus.COMPLETED if done == reps * sets else MilestoneStatus.IN_PROGRESS
        assert (progress.status, progress.practice_completions, progress.practice_attempts) == (
            expected,
            done,
            done + 3,
        )
    assert progress.completed_at is not None


@pytest.mark.django_db
def test_practice_restarts_a_failed_milestone_and_a_reset_starts_the_count_again():
    progress = progress_in(MilestoneStatus.FAILED)
    PracticeActivityFactory(progress=progress, reps=1)
    progress.refresh_from_db()
    assert (progress.status, progress.practice_completions) == (MilestoneStatus.IN_PROGRESS, 1)
    progress = milestone_reset(progress=progress)
    assert (progress.status, progress.practice_attempts, progress.practice_completions) == ("not_started", 0, 0)
    assert PracticeActivity.objects.filter(milestone_progress=progress).count() == 1  # the history stays


@pytest.mark.django_db
def test_progress_figures_per_level_and_overall():
    # levels of 2 milestones: 10 + 10, 20 + 20, 30 + 30 minutes = 120; reps 1 × sets 1
    roadmap = RoadmapFactory(deconstruction__milestones_per_level=2, deconstruction__reps=1)
    figures = roadmap_progress(Roadmap.objects.get(pk=roadmap.pk))
    assert (figures["percent"], figures["minutes_done"], figures["minutes_total"]) == (0, 0, 120)
    for milestone_id in ["m1-1", "m1-2", "m2-1"]:
        PracticeActivityFactory(progress=progress_of(roadmap, milestone_id))
    milestone_start(progress=progress_of(roadmap, "m3-1"))  # started is not done
    figures = roadmap_progress(Roadmap.objects.get(pk=roadmap.pk))
    assert [(lv["title"], lv["percent"], lv["minutes_done"], lv["minutes_total"]) for lv in figures["levels"]] == [
        ("Level 1", 100, 20, 20),
        ("Level 2", 50, 20, 40),
        ("Level 3", 0, 0, 60),
    ]
    assert (figures["percent"], figures["minutes_done"], figures["milestones_completed"]) == (33, 40, 3)
    milestone_reset(progress=progress_of(roadmap, "m1-1"))
    assert roadmap_progress(Roadmap.objects.get(pk=roadmap.pk))["minutes_done"] == 30


@pytest.mark.django_db
def test_a_roadmap_whose_deconstruction_was_deleted_has_empty_progress():
    roadmap = RoadmapFactory()
    roadmap.deconstruction.delete()
    figures = roadmap_progress(Roadmap.objects.get(pk=roadmap.pk))
    assert figures == {"percent": 0, "minutes_done": 0, "minutes_total": 0, "milestones_completed": 0,
                       "milestones_total": 0, "levels": []}  # fmt: skip


THREADS = 8


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_practice_counts_exactly_and_completes_once():
    progress = progress_of(RoadmapFactory(deconstruction__reps=2, deconstruction__sets=2))  # 4 completions
    barrier, statuses = threading.Barrier(THREADS), []

    def post() -> None:
        client = APIClient()
        client.force_authenticate(progress.deconstruction.owner)
        barrier.wait()
        try:
            payload = {
                "milestone_progress": str(progress.pk),
                "activity_type": "reading",
                "title": "x",
                "reps": 1,
            }
            statuses.append(client.post("/api/practice-activities/", payload, format="json").status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    progress.refresh_from_db()
    assert statuses == [201] * THREADS  # practice after completion is still logged
    # the milestone's lock orders them: every rep counted, completed once (by the 4th)
    assert (progress.status, progress.practice_attempts, progress.practice_completions) == (
        "completed", THREADS, THREADS,
    )  # fmt: skip
    fourth, fifth = PracticeActivity.objects.order_by("created_at")[3:5]
    assert fourth.created_at < progress.completed_at < fifth.created_at


@pytest.mark.django_db
def test_practice_after_completion_is_logged_and_does_not_reopen_the_milestone():
    progress = progress_of(RoadmapFactory(deconstruction__reps=1))
    PracticeActivityFactory(progress=progress)
    completed_at = MilestoneProgress.objects.get(pk=progress.pk).completed_at
    practice_activity_log(progress=progress, activity_type="reading", title="again")
    practice_activity_log(progress=progress, activity_type="drill", title="more", reps=4)
    progress.refresh_from_db()
    assert (progress.status, progress.completed_at) == (MilestoneStatus.COMPLETED, completed_at)
    assert (progress.practice_attempts, progress.practice_completions) == (3, 5)
