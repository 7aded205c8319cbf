"""Deletes that say what they undo, with an undo: a practice session (its reps, a completion
it made, the milestones that lock) and a roadmap (with its plan, progress and practice)."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from roadmaps.models import MilestoneProgress, PracticeActivity, Roadmap, SkillDeconstruction
from roadmaps.services.practice import practice_activity_delete, practice_activity_log, practice_activity_restore
from roadmaps.services.undo import ALREADY_BACK, NOT_YOURS_ANY_MORE, deletion_snapshot
from roadmaps.views import UNDO_GONE, UNDO_SESSION_KEY
from tests.factories import RoadmapFactory, UserFactory, progress_of
from tests.roadmaps.plans import gated_plan

pytestmark = pytest.mark.django_db


@pytest.fixture
def roadmap():
    """m2-1 waits for m1-1 and m1-2 (one rep each); both done, so m2-1 is open."""
    roadmap = RoadmapFactory(deconstruction__deconstruction_data=gated_plan())
    for milestone_id in ("m1-1", "m1-2"):
        practice_activity_log(progress=progress_of(roadmap, milestone_id), activity_type="drill", title=milestone_id,
                              reps=1, completion_time=12)  # fmt: skip
    return roadmap


@pytest.fixture
def owner_client(client, roadmap):
    client.force_login(roadmap.owner)
    return client


def session_of(roadmap, milestone_id="m1-1") -> PracticeActivity:
    return PracticeActivity.objects.get(milestone_progress=progress_of(roadmap, milestone_id))


def state(roadmap) -> dict:
    return {row.milestone_id: (row.status, row.practice_attempts, row.practice_completions)
            for row in MilestoneProgress.objects.filter(deconstruction=roadmap.deconstruction_id)}  # fmt: skip


def undo_token(client) -> str:
    return client.session[UNDO_SESSION_KEY]["token"]


def test_the_confirmation_says_what_the_deletion_takes_back(owner_client, roadmap):
    before = state(roadmap)
    html = owner_client.get(f"/practice/{session_of(roadmap).pk}/delete/").content.decode()
    assert "1 rep and 12 minutes come off the milestone: 1 → 0 of 1 reps." in html
    assert "goes from <strong>completed</strong> back to <strong>in progress</strong>" in html
    assert "1 milestone waiting for it locks again: “Milestone 2.1”." in html
    assert state(roadmap) == before  # the page alone changes nothing


def test_a_session_deleted_through_its_confirmation_is_undone_as_it_was(owner_client, roadmap):
    before, session = state(roadmap), session_of(roadmap)
    response = owner_client.post(f"/practice/{session.pk}/delete/", follow=True)
    html = response.content.decode()
    assert "Practice deleted: m1-1" in html and 'action="/undo/"' in html
    assert state(roadmap)["m1-1"] == ("in_progress", 0, 0)
    assert "Waits for" in html  # m2-1 locked again
    response = owner_client.post("/undo/", {"token": undo_token(owner_client)}, follow=True)
    assert "Practice restored" in response.content.decode()
    assert state(roadmap) == before
    restored = session_of(roadmap)
    assert (restored.pk, restored.created_at, restored.completion_time) == (session.pk, session.created_at, 12)


def test_an_undo_works_once(owner_client, roadmap):
    owner_client.post(f"/practice/{session_of(roadmap).pk}/delete/")
    token = undo_token(owner_client)
    owner_client.post("/undo/", {"token": token})
    again = owner_client.post("/undo/", {"token": token}, follow=True)
    assert UNDO_GONE.format(minutes=30) in again.content.decode()
    assert PracticeActivity.objects.filter(milestone_progress__deconstruction=roadmap.deconstruction_id).count() == 2


def test_an_undo_after_half_an_hour_changes_nothing(owner_client, roadmap):
    owner_client.post(f"/practice/{session_of(roadmap).pk}/delete/")
    session = owner_client.session
    session[UNDO_SESSION_KEY]["at"] = (timezone.now() - timedelta(minutes=31)).isoformat()
    session.save()
    owner_client.post("/undo/", {"token": session[UNDO_SESSION_KEY]["token"]})
    assert not PracticeActivity.objects.filter(milestone_progress=progress_of(roadmap, "m1-1")).exists()


def test_a_forged_undo_token_changes_nothing(owner_client, roadmap):
    owner_client.post(f"/practice/{session_of(roadmap).pk}/delete/")
    response = owner_client.post("/undo/", {"token": "guessed"}, follow=True)
    assert UNDO_GONE.format(minutes=30) in response.content.decode()
    assert not PracticeActivity.objects.filter(milestone_progress=progress_of(roadmap, "m1-1")).exists()


def test_another_learner_cannot_see_or_delete_a_session(client, roadmap):
    before = state(roadmap)
    client.force_login(UserFactory())
    session = session_of(roadmap)
    assert client.get(f"/practice/{session.pk}/delete/").status_code == 404
    assert client.post(f"/practice/{session.pk}/delete/").status_code == 404
    assert state(roadmap) == before and PracticeActivity.objects.filter(pk=session.pk).exists()


def test_a_roadmap_deleted_through_its_confirmation_is_undone_with_its_plan_and_practice(owner_client, roadmap):
    before, title = state(roadmap), roadmap.title
    page = owner_client.get(f"/roadmaps/{roadmap.pk}/delete/").content.decode()
    assert "2 sessions, 24 minutes" in page and "You can undo this" in page
    response = owner_client.post(f"/roadmaps/{roadmap.pk}/delete/", follow=True)
    assert f"Deleted “{title}”" in response.content.decode() and 'action="/undo/"' in response.content.decode()
    assert not Roadmap.objects.exists() and not SkillDeconstruction.objects.exists()
    response = owner_client.post("/undo/", {"token": undo_token(owner_client)})
    assert response.status_code == 302 and response["Location"] == roadmap.get_absolute_url()
    assert Roadmap.objects.get().title == title and state(roadmap) == before
    assert PracticeActivity.objects.count() == 2


def test_restoring_refuses_a_row_that_is_back_or_not_the_learners(roadmap):
    session = session_of(roadmap)
    snapshot = deletion_snapshot([session])
    with pytest.raises(ValidationError, match=ALREADY_BACK):
        practice_activity_restore(owner=roadmap.owner, snapshot=snapshot)
    practice_activity_delete(activity=session)
    with pytest.raises(ValidationError, match=NOT_YOURS_ANY_MORE):
        practice_activity_restore(owner=UserFactory(), snapshot=snapshot)
    assert not PracticeActivity.objects.filter(pk=session.pk).exists()
    assert state(roadmap)["m1-1"] == ("in_progress", 0, 0)
