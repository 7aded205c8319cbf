"""The invariants the database keeps, whatever code writes (seed 003's constraints and ours)."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from roadmaps.models import UNKNOWN_MILESTONE, MilestoneProgress, PracticeActivity, Roadmap, SkillDeconstruction
from tests.factories import PracticeActivityFactory, RoadmapFactory, SkillDeconstructionFactory, progress_of

pytestmark = pytest.mark.django_db


def refused(write) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        write()


def test_a_progress_row_names_a_milestone_of_its_plan():
    deconstruction = SkillDeconstructionFactory()
    with pytest.raises(ValidationError) as excinfo:
        MilestoneProgress(deconstruction=deconstruction, milestone_id="m9-9").full_clean()
    assert excinfo.value.message_dict == {"milestone_id": [UNKNOWN_MILESTONE.format(milestone="m9-9")]}
    MilestoneProgress(deconstruction=deconstruction, milestone_id="m2-1").full_clean()


def test_the_database_refuses_a_progress_row_for_a_milestone_not_in_the_plan():
    roadmap = RoadmapFactory()
    refused(lambda: MilestoneProgress.objects.create(deconstruction=roadmap.deconstruction, milestone_id="m9-9"))
    refused(lambda: MilestoneProgress.objects.filter(milestone_id="m1-1").update(milestone_id="nope"))
    assert MilestoneProgress.objects.filter(milestone_id="m1-1").exists()


def test_one_progress_row_per_milestone():
    roadmap = RoadmapFactory()
    refused(lambda: MilestoneProgress.objects.create(deconstruction=roadmap.deconstruction, milestone_id="m1-1"))


def test_the_seeds_check_constraints():
    deconstruction = SkillDeconstructionFactory()
    refused(lambda: SkillDeconstruction.objects.filter(pk=deconstruction.pk).update(skill_type="mental"))
    refused(lambda: SkillDeconstruction.objects.filter(pk=deconstruction.pk).update(deconstruction_data={"x": 1}))
    progress = progress_of(RoadmapFactory())
    refused(lambda: MilestoneProgress.objects.filter(pk=progress.pk).update(status="paused"))
    activity = PracticeActivityFactory(progress=progress, reps=0)
    for bad in [{"activity_type": "dancing"}, {"difficulty_rating": 0}, {"difficulty_rating": 6}]:
        refused(lambda bad=bad: PracticeActivity.objects.filter(pk=activity.pk).update(**bad))


def test_timestamps_match_the_status():
    progress = progress_of(RoadmapFactory())
    rows = MilestoneProgress.objects.filter(pk=progress.pk)
    refused(lambda: rows.update(status="in_progress"))  # never started
    refused(lambda: rows.update(status="completed", started_at=timezone.now()))  # no completion time
    refused(lambda: rows.update(started_at=timezone.now()))  # not started, yet a start time
    refused(lambda: rows.update(practice_completions=1))  # completions without any session


def test_an_activity_is_completed_with_a_completion_time_exactly_when_it_covered_reps():
    activity = PracticeActivityFactory(reps=2)
    rows = PracticeActivity.objects.filter(pk=activity.pk)
    refused(lambda: rows.update(completed_at=None))
    refused(lambda: rows.update(completed=False))
    refused(lambda: rows.update(reps=0))
    attempt = PracticeActivityFactory(progress=activity.milestone_progress, reps=0)
    refused(lambda: PracticeActivity.objects.filter(pk=attempt.pk).update(completed=True, completed_at=timezone.now()))


def test_deleting_cascades_as_the_seed_says():
    activity = PracticeActivityFactory()
    roadmap = Roadmap.objects.get()
    roadmap.deconstruction.delete()
    roadmap.refresh_from_db()
    assert roadmap.deconstruction is None  # SET NULL: the roadmap stays
    assert not MilestoneProgress.objects.exists() and not PracticeActivity.objects.filter(pk=activity.pk).exists()


def test_a_deconstruction_validates_its_plan_under_its_own_field():
    deconstruction = SkillDeconstructionFactory.build(owner=RoadmapFactory().owner, reps=0)
    with pytest.raises(ValidationError) as excinfo:
        deconstruction.full_clean()
    assert excinfo.value.message_dict["deconstruction_data"] == [
        "levels[0].milestones[0].doThisNow.reps: must be an integer ≥ 1",
        "levels[1].milestones[0].doThisNow.reps: must be an integer ≥ 1",
        "levels[2].milestones[0].doThisNow.reps: must be an integer ≥ 1",
    ]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_migrations_reverse_and_apply_again():
    executor = MigrationExecutor(connection)
    executor.migrate([("roadmaps", None)])
    assert "roadmaps_roadmap" not in connection.introspection.table_names()
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes("roadmaps"))
    assert "roadmaps_roadmap" in connection.introspection.table_names()
    test_the_database_refuses_a_progress_row_for_a_milestone_not_in_the_plan()  # the trigger is back


@pytest.mark.parametrize("model", [SkillDeconstruction, Roadmap, MilestoneProgress, PracticeActivity])
def test_one_scoping_rule_a_model_own_rows_for_a_learner_everyones_for_staff_to_read(model, admin_user):
    """The rule the pages (`for_learner`), the API (reads `visible_to`, writes `for_learner`) and
    the admin (`visible_to`) all use."""
    mine, theirs = PracticeActivityFactory(), PracticeActivityFactory()
    me = mine.milestone_progress.deconstruction.owner
    everyone = set(model.objects.values_list("pk", flat=True))
    own = set(model.objects.for_learner(me).values_list("pk", flat=True))
    assert own and own < everyone
    assert set(model.objects.visible_to(me).values_list("pk", flat=True)) == own
    assert set(model.objects.visible_to(admin_user).values_list("pk", flat=True)) == everyone
    assert not model.objects.for_learner(admin_user).exists()  # staff own nothing here: they write nothing of theirs
    assert theirs.milestone_progress.deconstruction.owner != me
