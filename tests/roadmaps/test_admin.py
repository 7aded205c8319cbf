"""The roadmaps admin as a staff user uses it, through the admin's own URLs."""

import pytest
from django.contrib.messages import get_messages

from roadmaps.admin import NOT_A_VALID_PLAN
from roadmaps.models import MilestoneProgress, MilestoneStatus, SkillDeconstruction
from roadmaps.services.milestones import ILLEGAL_MILESTONE_TRANSITION
from tests.factories import PracticeActivityFactory, RoadmapFactory, UserFactory, progress_of

pytestmark = pytest.mark.django_db

PROGRESS = "/admin/roadmaps/milestoneprogress/"


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_a_deconstruction_page_shows_its_levels_and_milestones(admin_client):
    roadmap = RoadmapFactory(deconstruction__milestones_per_level=2)
    page = admin_client.get(f"/admin/roadmaps/skilldeconstruction/{roadmap.deconstruction_id}/change/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "<h3>Level 1</h3>" in html and "Milestone 3.2" in html and "Total: 120 minutes, beginner" in html


def test_a_broken_plan_is_shown_as_such_not_as_an_error(admin_client):
    roadmap = RoadmapFactory()
    # A plan with a valid top level (the database's CHECK) but a broken milestone.
    data = roadmap.deconstruction.deconstruction_data
    data["levels"][0]["milestones"][0]["doThisNow"] = "do it"
    SkillDeconstruction.objects.filter(pk=roadmap.deconstruction_id).update(deconstruction_data=data)
    page = admin_client.get(f"/admin/roadmaps/skilldeconstruction/{roadmap.deconstruction_id}/change/")
    assert page.status_code == 200 and NOT_A_VALID_PLAN in page.content.decode()


def test_learner_data_is_not_added_by_hand(admin_client):
    for model in ["skilldeconstruction", "roadmap", "milestoneprogress", "practiceactivity"]:
        assert admin_client.get(f"/admin/roadmaps/{model}/add/").status_code == 403, model


def test_a_roadmap_title_is_edited_through_the_service(admin_client):
    roadmap = RoadmapFactory()
    response = admin_client.post(
        f"/admin/roadmaps/roadmap/{roadmap.pk}/change/", {"title": "Juggling, properly", "description": "d"}
    )
    assert response.status_code == 302
    roadmap.refresh_from_db()
    assert (roadmap.title, roadmap.description) == ("Juggling, properly", "d")


def test_progress_is_filtered_by_status_and_searched_by_learner(admin_client):
    mine = RoadmapFactory(owner=UserFactory(username="ada"))
    RoadmapFactory(owner=UserFactory(username="bob"))
    PracticeActivityFactory(progress=progress_of(mine))
    in_progress = admin_client.get(f"{PROGRESS}?status__exact=in_progress").context["cl"].result_list
    assert [p.milestone_id for p in in_progress] == ["m1-1"]
    assert admin_client.get(f"{PROGRESS}?q=ada").context["cl"].result_count == 3


def test_milestone_actions_call_the_services_and_report_refusals(admin_client):
    roadmap = RoadmapFactory()
    first, second = progress_of(roadmap, "m1-1"), progress_of(roadmap, "m2-1")
    admin_client.post(PROGRESS, {"action": "milestone_start", "_selected_action": [first.pk]})
    response = admin_client.post(
        PROGRESS, {"action": "milestone_complete", "_selected_action": [first.pk, second.pk]}, follow=True
    )
    refusal = ILLEGAL_MILESTONE_TRANSITION.format(milestone="m2-1", current="not_started", target="completed")
    assert refusal in messages_of(response)
    assert "Completed 1 milestone(s)." in messages_of(response)
    statuses = dict(MilestoneProgress.objects.values_list("milestone_id", "status"))
    assert statuses == {"m1-1": MilestoneStatus.COMPLETED, "m2-1": "not_started", "m3-1": "not_started"}


# session, user, filtered count, total count, the page with its related rows (select_related),
# and for the lists with a date hierarchy: its first / last date, its days
CHANGELIST_QUERIES = {
    "/admin/roadmaps/skilldeconstruction/": 7,
    "/admin/roadmaps/roadmap/": 5,
    PROGRESS: 5,
    "/admin/roadmaps/practiceactivity/": 8,  # … and the difficulty ratings for their filter
}


@pytest.mark.parametrize("n_roadmaps", [2, 10])
@pytest.mark.parametrize("url", CHANGELIST_QUERIES)
def test_the_changelists_run_a_fixed_number_of_queries(admin_client, django_assert_num_queries, n_roadmaps, url):
    for _ in range(n_roadmaps):
        PracticeActivityFactory()
    with django_assert_num_queries(CHANGELIST_QUERIES[url]):
        response = admin_client.get(url)
    assert response.status_code == 200 and response.context["cl"].result_count >= n_roadmaps


def test_deconstructions_are_view_only_and_progress_notes_are_editable(admin_client):
    roadmap = RoadmapFactory()
    url = f"/admin/roadmaps/skilldeconstruction/{roadmap.deconstruction_id}/change/"
    assert admin_client.post(url, {"skill_name": "Renamed"}).status_code == 403
    progress = progress_of(roadmap)
    response = admin_client.post(f"{PROGRESS}{progress.pk}/change/", {"notes": "Keep the elbows in."})
    assert response.status_code == 302
    progress.refresh_from_db()
    assert (progress.notes, progress.status) == ("Keep the elbows in.", "not_started")


def test_deleting_practice_in_the_admin_recounts_its_milestone(admin_client):
    progress = progress_of(RoadmapFactory(deconstruction__reps=2))
    first, second = PracticeActivityFactory(progress=progress), PracticeActivityFactory(progress=progress)
    assert MilestoneProgress.objects.get(pk=progress.pk).status == MilestoneStatus.COMPLETED
    response = admin_client.post(f"/admin/roadmaps/practiceactivity/{second.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    progress.refresh_from_db()
    assert (progress.status, progress.practice_attempts, progress.practice_completions) == ("in_progress", 1, 1)
    admin_client.post(
        "/admin/roadmaps/practiceactivity/",
        {"action": "delete_selected", "_selected_action": [str(first.pk)], "post": "yes"},
    )
    progress.refresh_from_db()
    assert (progress.practice_attempts, progress.practice_completions) == (0, 0)


def test_deleting_a_roadmap_in_the_admin_takes_its_practice_too(admin_client):
    roadmap = RoadmapFactory()
    PracticeActivityFactory(progress=progress_of(roadmap))
    admin_client.post(f"/admin/roadmaps/roadmap/{roadmap.pk}/delete/", {"post": "yes"})
    assert not SkillDeconstruction.objects.exists() and not MilestoneProgress.objects.exists()
