"""Practice counts the reps a session covered; sessions are corrected and deleted with the
milestone recounted, through the services, the API and the pages; other learners get 404."""

import pytest
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from roadmaps.models import NOTES_MAX_LENGTH, TEXT_TOO_LONG, MilestoneProgress, PracticeActivity
from roadmaps.serializers.practice import COMPLETED_IS_DERIVED, NOT_CHANGEABLE
from roadmaps.services.goals import deconstruction_create
from roadmaps.services.milestones import milestone_complete, milestone_reset, milestone_start
from roadmaps.services.practice import (
    NOT_EDITABLE,
    practice_activity_delete,
    practice_activity_log,
    practice_activity_update,
)
from roadmaps.services.roadmaps import roadmap_create
from tests.factories import RoadmapFactory, UserFactory, progress_of
from tests.roadmaps.plans import juggling_plan

pytestmark = pytest.mark.django_db

HUGE_NOTE = "n" * 240_000


def counters(progress: MilestoneProgress) -> tuple:
    progress = MilestoneProgress.objects.get(pk=progress.pk)
    return progress.status, progress.practice_attempts, progress.practice_completions


def log(progress, reps: int, **fields) -> PracticeActivity:
    return practice_activity_log(progress=progress, activity_type="drill", title="cascade", reps=reps, **fields)


@pytest.fixture
def progress():
    """A milestone of 3 reps × 2 sets: 6 completions complete it."""
    return progress_of(RoadmapFactory(deconstruction__reps=3, deconstruction__sets=2))


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


# The services


def test_a_session_counts_the_reps_it_covered_and_nothing_is_assumed(progress):
    log(progress, reps=0)
    assert counters(progress) == ("in_progress", 1, 0)
    log(progress, reps=3)  # one set
    assert counters(progress) == ("in_progress", 2, 3)
    log(progress, reps=3)  # the second set: 3 × 2 reached
    assert counters(progress) == ("completed", 3, 6)


def test_correcting_a_sessions_reps_recounts_and_completes_the_milestone(progress):
    session = log(progress, reps=1)
    practice_activity_update(activity=session, reps=6, completion_time=20)
    assert counters(progress) == ("completed", 1, 6)
    session.refresh_from_db()
    assert (session.completed, session.completion_time) == (True, 20) and session.completed_at is not None


def test_taking_back_the_reps_that_completed_a_milestone_reopens_it(progress):
    log(progress, reps=3)
    session = log(progress, reps=3)
    assert counters(progress)[0] == "completed"
    practice_activity_update(activity=session, reps=0)
    assert counters(progress) == ("in_progress", 2, 3)
    assert MilestoneProgress.objects.get(pk=progress.pk).completed_at is None
    session.refresh_from_db()
    assert (session.completed, session.completed_at) == (False, None)


def test_deleting_sessions_recounts_and_may_reopen(progress):
    first, second = log(progress, reps=3), log(progress, reps=4)
    assert counters(progress) == ("completed", 2, 7)
    practice_activity_delete(activity=first)
    assert counters(progress) == ("in_progress", 1, 4)
    practice_activity_delete(activity=second)
    assert counters(progress) == ("in_progress", 0, 0)  # started stays started; reset is the learner's move
    assert not PracticeActivity.objects.exists()


def test_a_completion_by_the_learners_button_is_not_taken_back_by_a_recount(progress):
    session = log(progress, reps=1)
    milestone_complete(progress=progress)
    practice_activity_update(activity=session, reps=2)
    assert counters(progress) == ("completed", 1, 2)
    practice_activity_delete(activity=session)
    assert counters(progress) == ("completed", 0, 0)


def test_sessions_before_a_reset_stay_in_the_history_but_never_count_again(progress):
    before = log(progress, reps=5)
    milestone_reset(progress=progress)
    before.refresh_from_db()
    assert before.counted is False and counters(progress) == ("not_started", 0, 0)
    practice_activity_update(activity=before, reps=6)
    assert counters(progress) == ("not_started", 0, 0)
    milestone_start(progress=progress)
    after = log(progress, reps=2)
    practice_activity_delete(activity=before)
    practice_activity_update(activity=after, reps=3)
    assert counters(progress) == ("in_progress", 1, 3)


def test_only_the_sessions_own_fields_can_be_changed_and_bad_values_change_nothing(progress):
    session = log(progress, reps=2)
    with pytest.raises(ValidationError) as excinfo:
        practice_activity_update(activity=session, milestone_progress=progress, reps=4)
    assert excinfo.value.message_dict == {"milestone_progress": [NOT_EDITABLE]}
    with pytest.raises(ValidationError) as excinfo:
        practice_activity_update(activity=session, reps=4, user_notes=HUGE_NOTE)
    assert excinfo.value.message_dict == {
        "user_notes": [TEXT_TOO_LONG % {"limit_value": NOTES_MAX_LENGTH, "show_value": len(HUGE_NOTE)}]
    }
    session.refresh_from_db()
    assert (session.reps, session.user_notes) == (2, "") and counters(progress) == ("in_progress", 1, 2)


def test_a_240000_character_note_is_refused_and_nothing_is_logged(progress):
    with pytest.raises(ValidationError) as excinfo:
        log(progress, reps=1, user_notes=HUGE_NOTE)
    assert list(excinfo.value.message_dict) == ["user_notes"]
    assert not PracticeActivity.objects.exists() and counters(progress) == ("not_started", 0, 0)


# The API


def test_the_owner_patches_a_session_and_gets_the_recounted_progress(progress):
    session = log(progress, reps=1)
    response = api(progress.deconstruction.owner).patch(
        f"/api/practice-activities/{session.pk}/", {"reps": 6, "user_notes": "all six"}, format="json"
    )
    assert response.status_code == 200
    assert (response.data["reps"], response.data["completed"], response.data["user_notes"]) == (6, True, "all six")
    assert response.data["progress"]["status"] == "completed"
    assert response.data["progress"]["practice_completions"] == 6
    assert counters(progress) == ("completed", 1, 6)


def test_the_owner_deletes_a_session_and_the_milestone_is_recounted(progress):
    log(progress, reps=3)
    session = log(progress, reps=3)
    response = api(progress.deconstruction.owner).delete(f"/api/practice-activities/{session.pk}/")
    assert response.status_code == 204
    assert counters(progress) == ("in_progress", 1, 3)


def test_another_learner_or_staff_gets_404_and_nothing_changes(progress):
    session = log(progress, reps=2, user_notes="mine")
    for intruder in [UserFactory(), UserFactory(is_staff=True)]:
        client = api(intruder)
        url = f"/api/practice-activities/{session.pk}/"
        assert client.patch(url, {"reps": 6}, format="json").status_code == 404
        assert client.delete(url).status_code == 404
    session.refresh_from_db()
    assert (session.reps, session.user_notes) == (2, "mine") and counters(progress) == ("in_progress", 1, 2)


@pytest.mark.parametrize(
    "body, field, message",
    [
        ({"completed": True}, "completed", COMPLETED_IS_DERIVED),
        ({"milestone_progress": "00000000-0000-0000-0000-000000000000"}, "milestone_progress", NOT_CHANGEABLE),
        ({"user_notes": HUGE_NOTE}, "user_notes", None),
        ({"title": "t" * 256}, "title", None),
        ({"title": ""}, "title", None),
        ({"reps": -1}, "reps", None),
        ({"reps": 10_001}, "reps", None),
        ({"activity_type": "juggling"}, "activity_type", None),
    ],
)
def test_a_bad_patch_gets_400_naming_the_field_and_changes_nothing(progress, body, field, message):
    session = log(progress, reps=2)
    response = api(progress.deconstruction.owner).patch(
        f"/api/practice-activities/{session.pk}/", {"reps": 6, **body}, format="json"
    )
    assert response.status_code == 400 and field in response.data["errors"], response.data
    if message:
        assert response.data["errors"][field] == [message]
    session.refresh_from_db()
    assert (session.reps, session.title, session.user_notes) == (2, "cascade", "")
    assert counters(progress) == ("in_progress", 1, 2)


def test_a_240000_character_note_is_refused_by_the_api_and_nothing_is_stored(progress):
    client = api(progress.deconstruction.owner)
    posted = client.post(
        "/api/practice-activities/",
        {"milestone_progress": str(progress.pk), "activity_type": "drill", "title": "x", "user_notes": HUGE_NOTE},
        format="json",
    )
    assert posted.status_code == 400 and "user_notes" in posted.data["errors"]
    assert not PracticeActivity.objects.exists()
    noted = client.patch(f"/api/milestone-progress/{progress.pk}/", {"notes": HUGE_NOTE}, format="json")
    assert noted.status_code == 400 and "notes" in noted.data["errors"]
    assert MilestoneProgress.objects.get(pk=progress.pk).notes == ""


def test_a_put_is_not_offered(progress):
    session = log(progress, reps=1)
    response = api(progress.deconstruction.owner).put(f"/api/practice-activities/{session.pk}/", {}, format="json")
    assert response.status_code == 405


# The pages


@pytest.fixture
def owner_client(client, progress):
    client.force_login(progress.deconstruction.owner)
    return client


def roadmap_of(progress):
    return progress.deconstruction.roadmaps.get()


def test_the_practice_form_asks_for_reps_and_ticks_nothing(owner_client, progress):
    html = owner_client.get(roadmap_of(progress).get_absolute_url()).content.decode()
    card = html.split(f'id="milestone-{progress.milestone_id}"')[1].split("</article>")[0]
    assert "Reps covered this session" in card and "3 reps a set × 2 sets = 6 to complete" in card
    assert "checked" not in card and 'type="checkbox"' not in card


def test_logging_on_the_page_in_parts_completes_and_goes_on_after(owner_client, progress):
    url = f"{roadmap_of(progress).get_absolute_url()}milestones/{progress.pk}/practice/"
    for reps in [2, 4, 1]:
        response = owner_client.post(url, {"activity_type": "drill", "title": f"{reps} reps", "reps": reps})
        assert response.status_code == 302
    assert counters(progress) == ("completed", 3, 7)
    page = owner_client.get(response["Location"]).content.decode()
    card = page.split(f'id="milestone-{progress.milestone_id}"')[1].split("</article>")[0]
    assert "Practice logged: 1 reps (7 of 6 reps done; completed)." in card
    assert "Log practice" in card  # the form stays after completion


def test_the_edit_page_corrects_a_session_and_recounts(owner_client, progress):
    session = log(progress, reps=1, completion_time=5)
    page = owner_client.get(f"/practice/{session.pk}/edit/")
    assert page.status_code == 200 and 'value="cascade"' in page.content.decode()
    response = owner_client.post(
        f"/practice/{session.pk}/edit/", {"activity_type": "drill", "title": "six", "reps": 6, "completion_time": 9}
    )
    assert response.status_code == 302
    assert response["Location"] == f"{roadmap_of(progress).get_absolute_url()}#milestone-{progress.milestone_id}"
    assert counters(progress) == ("completed", 1, 6)
    assert PracticeActivity.objects.get(pk=session.pk).completion_time == 9


def test_the_edit_page_returns_to_the_page_it_came_from_on_this_site_only(owner_client, progress):
    session = log(progress, reps=1)
    fields = {"activity_type": "drill", "title": "x", "reps": 1}
    back = owner_client.post(f"/practice/{session.pk}/edit/", {**fields, "next": "/practice/"})
    assert back["Location"] == "/practice/"
    away = owner_client.post(f"/practice/{session.pk}/edit/", {**fields, "next": "https://evil.example/"})
    assert away["Location"].startswith(roadmap_of(progress).get_absolute_url())
    page = owner_client.get(f"/practice/{session.pk}/edit/?next=javascript:alert(1)").content.decode()
    assert "javascript:" not in page


def test_the_edit_page_refuses_a_huge_note_and_stores_nothing(owner_client, progress):
    session = log(progress, reps=1)
    response = owner_client.post(
        f"/practice/{session.pk}/edit/", {"activity_type": "drill", "title": "x", "reps": 6, "user_notes": HUGE_NOTE}
    )
    assert response.status_code == 400
    assert "Ensure this value has at most 10000 characters (it has 240000)." in response.content.decode()
    session.refresh_from_db()
    assert (session.reps, session.user_notes) == (1, "") and counters(progress) == ("in_progress", 1, 1)


def test_deleting_on_the_page_recounts(owner_client, progress):
    log(progress, reps=3)
    session = log(progress, reps=3)
    response = owner_client.post(f"/practice/{session.pk}/delete/")
    assert response.status_code == 302 and counters(progress) == ("in_progress", 1, 3)
    page = owner_client.get(response["Location"]).content.decode()
    assert "Practice deleted: cascade (3 of 6 reps done; in progress)." in page


def test_another_learners_session_pages_are_404(client, progress):
    session = log(progress, reps=2)
    client.force_login(UserFactory())
    assert client.get(f"/practice/{session.pk}/edit/").status_code == 404
    assert client.post(f"/practice/{session.pk}/edit/", {"activity_type": "drill", "title": "x"}).status_code == 404
    assert client.post(f"/practice/{session.pk}/delete/").status_code == 404
    assert PracticeActivity.objects.filter(pk=session.pk, reps=2).exists() and counters(progress)[2] == 2


def test_a_huge_note_on_the_practice_form_is_refused_beside_the_field(owner_client, progress):
    url = f"{roadmap_of(progress).get_absolute_url()}milestones/{progress.pk}/practice/"
    response = owner_client.post(url, {"activity_type": "drill", "title": "x", "reps": 1, "user_notes": HUGE_NOTE})
    card = response.content.decode().split(f'id="milestone-{progress.milestone_id}"')[1].split("</article>")[0]
    assert "Ensure this value has at most 10000 characters (it has 240000)." in card
    assert not PracticeActivity.objects.exists()


def test_milestone_notes_are_written_and_shown_on_the_page(owner_client, progress):
    url = f"{roadmap_of(progress).get_absolute_url()}milestones/{progress.pk}/notes/"
    response = owner_client.post(url, {"notes": "Elbows in.\nEyes on the peak."})
    assert response.status_code == 302
    page = owner_client.get(response["Location"]).content.decode()
    card = page.split(f'id="milestone-{progress.milestone_id}"')[1].split("</article>")[0]
    assert "Elbows in.<br>Eyes on the peak." in card and "Notes saved." in card
    refused = owner_client.post(url, {"notes": HUGE_NOTE})
    card = refused.content.decode().split(f'id="milestone-{progress.milestone_id}"')[1].split("</article>")[0]
    assert "at most 10000 characters (it has 240000)" in card
    assert MilestoneProgress.objects.get(pk=progress.pk).notes == "Elbows in.\nEyes on the peak."


def test_another_learner_cannot_write_notes(client, progress):
    client.force_login(UserFactory())
    url = f"{roadmap_of(progress).get_absolute_url()}milestones/{progress.pk}/notes/"
    assert client.post(url, {"notes": "mine"}).status_code == 404
    assert MilestoneProgress.objects.get(pk=progress.pk).notes == ""


def test_the_practice_form_starts_on_the_milestones_own_practice_type(client):
    learner = UserFactory()
    data = juggling_plan()
    data["levels"][0]["milestones"][1]["practiceType"] = "video"
    deconstruction, _ = deconstruction_create(owner=learner, user_query="juggle", skill_type="abstract", data=data)
    roadmap = roadmap_create(owner=learner, title="Juggling", deconstruction=deconstruction)
    client.force_login(learner)
    html = client.get(roadmap.get_absolute_url()).content.decode()
    one_ball = html.split('id="milestone-one-ball"')[1].split("</article>")[0]
    two_ball = html.split('id="milestone-two-ball"')[1].split("</article>")[0]
    assert '<option value="drill" selected>' in one_ball and '<option value="video" selected>' in two_ball
