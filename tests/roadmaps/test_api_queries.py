"""Query counts of the roadmaps API are specifications: fixed whatever the number of rows."""

import pytest
from rest_framework.test import APIClient

from tests.factories import PracticeActivityFactory, RoadmapFactory, UserFactory, progress_of

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture(params=[1, 10], ids=["3 milestones a roadmap", "30 milestones a roadmap"])
def learner(request):
    """A learner with three roadmaps, each with practice logged on its first milestone."""
    owner = UserFactory()
    for _ in range(3):
        roadmap = RoadmapFactory(owner=owner, deconstruction__milestones_per_level=request.param)
        PracticeActivityFactory.create_batch(2, progress=progress_of(roadmap), reps=0)
    RoadmapFactory()  # someone else's
    return owner


# The caller is force-authenticated: no session or token query.
LISTS = {
    # count, the page of deconstructions
    "/api/deconstructions/": 2,
    # count, the page of roadmaps joined with their deconstructions, their progress rows
    "/api/roadmaps/": 3,
    # count, the page of progress rows, their deconstructions, the deconstructions' progress rows (the locks)
    "/api/milestone-progress/": 4,
    # count, the page of activities joined with their progress rows
    "/api/practice-activities/": 2,
}


@pytest.mark.parametrize("url", LISTS)
def test_each_list_runs_a_fixed_number_of_queries(learner, django_assert_num_queries, url):
    with django_assert_num_queries(LISTS[url]):
        response = client_for(learner).get(url)
    assert response.status_code == 200 and response.data["count"] >= 3


@pytest.mark.parametrize("url", LISTS)
def test_staff_lists_run_the_same_queries(learner, django_assert_num_queries, url):
    staff = client_for(UserFactory(is_staff=True))
    with django_assert_num_queries(LISTS[url]):
        response = staff.get(url)
    assert response.status_code == 200 and response.data["count"] > 3


def test_filtered_lists_run_a_fixed_number_of_queries(learner, django_assert_num_queries):
    roadmap = learner.roadmaps.first()
    client = client_for(learner)
    # count, the page of activities joined with their progress rows
    with django_assert_num_queries(2):
        activities = client.get(f"/api/practice-activities/?roadmap={roadmap.pk}&milestone_id=m1-1&completed=false")
    assert activities.data["count"] == 2
    # count, the page of progress rows, their deconstruction, its progress rows (the locks)
    with django_assert_num_queries(4):
        progress = client.get(f"/api/milestone-progress/?roadmap={roadmap.pk}&status=in_progress")
    assert [row["milestone_id"] for row in progress.data["results"]] == ["m1-1"]


def test_the_progress_endpoint_runs_two_queries(learner, django_assert_num_queries):
    roadmap = learner.roadmaps.first()
    # the roadmap joined with its deconstruction, its progress rows
    with django_assert_num_queries(2):
        response = client_for(learner).get(f"/api/roadmaps/{roadmap.pk}/progress/")
    assert response.data["milestones_total"] == len(roadmap.deconstruction.milestone_ids())


def test_the_roadmap_detail_runs_two_queries_for_staff_too(learner, django_assert_num_queries):
    roadmap, staff = learner.roadmaps.first(), client_for(UserFactory(is_staff=True))
    # the roadmap joined with its deconstruction, its progress rows
    with django_assert_num_queries(2):
        response = staff.get(f"/api/roadmaps/{roadmap.pk}/")
    assert response.status_code == 200


def test_progress_filtered_by_deconstruction_runs_four_queries(learner, django_assert_num_queries):
    roadmap = learner.roadmaps.first()
    # count, the page of progress rows (the id is not looked up first), the deconstruction, its
    # progress rows (the locks)
    with django_assert_num_queries(4):
        response = client_for(learner).get(f"/api/milestone-progress/?deconstruction={roadmap.deconstruction_id}")
    assert response.data["count"] == len(roadmap.deconstruction.milestone_ids())
