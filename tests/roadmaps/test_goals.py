"""Starting a roadmap from a goal: the catalog's plan copied, the generic engine labelled, the
kind optional, and a second roadmap for the same goal confirmed first (pages and API)."""

import pytest
from rest_framework.test import APIClient

from roadmaps.catalog import catalog
from roadmaps.forms import KIND_HELP
from roadmaps.models import Roadmap, SkillDeconstruction
from roadmaps.services.goals import NO_CATALOG_MATCH, NO_CATALOG_MATCH_NOR_DOMAIN, UNKNOWN_CATALOG_ENTRY
from roadmaps.services.roadmaps import GOAL_ALREADY_STARTED, GoalAlreadyStarted, roadmap_create_from_goal
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def learner():
    return UserFactory()


@pytest.fixture
def page(client, learner):
    client.force_login(learner)
    return client


@pytest.fixture
def api(learner):
    client = APIClient()
    client.force_authenticate(learner)
    return client


def test_a_started_roadmap_keeps_its_copy_when_the_catalog_changes(learner, monkeypatch):
    roadmap, _ = roadmap_create_from_goal(owner=learner, user_query="I want to juggle")
    first = catalog()["juggling"].plan["levels"][0]["milestones"][0]
    monkeypatch.setitem(first, "title", "Edited after the roadmap started")
    stored = SkillDeconstruction.objects.get(pk=roadmap.deconstruction_id).deconstruction_data
    assert stored["levels"][0]["milestones"][0]["title"] == "One-ball arc"


def test_a_named_catalog_entry_is_used_whatever_the_goal_says(learner):
    roadmap, warnings = roadmap_create_from_goal(owner=learner, user_query="something fun", catalog_entry="chess")
    assert roadmap.deconstruction.catalog_entry == "chess" and warnings == []


def test_an_unknown_catalog_entry_is_refused_before_anything_is_written(api):
    response = api.post("/api/roadmaps/", {"user_query": "x", "catalog_entry": "basket-weaving"}, format="json")
    assert response.status_code == 404
    assert response.data["errors"] == {"catalog_entry": [UNKNOWN_CATALOG_ENTRY.format(entry="basket-weaving")]}
    assert not SkillDeconstruction.objects.exists()


def test_the_service_asks_to_confirm_a_goal_already_started(learner):
    first, _ = roadmap_create_from_goal(owner=learner, user_query="learn to juggle")
    with pytest.raises(GoalAlreadyStarted) as excinfo:
        roadmap_create_from_goal(owner=learner, user_query="juggling 3 balls", confirm=False)
    assert excinfo.value.roadmap == first
    assert excinfo.value.message_dict == {"confirm": [GOAL_ALREADY_STARTED.format(title="Juggling three balls")]}
    roadmap_create_from_goal(owner=learner, user_query="juggling 3 balls", confirm=False, catalog_entry="chess")
    # A generic goal is the same goal when its words are.
    roadmap_create_from_goal(owner=learner, user_query="Ride a unicycle")
    with pytest.raises(GoalAlreadyStarted):
        roadmap_create_from_goal(owner=learner, user_query="ride a UNICYCLE ", confirm=False)
    assert Roadmap.objects.count() == 3


def test_another_learners_roadmap_is_not_a_duplicate(learner):
    roadmap_create_from_goal(owner=UserFactory(), user_query="learn to juggle")
    roadmap_create_from_goal(owner=learner, user_query="learn to juggle", confirm=False)


def test_the_api_answers_409_until_confirmed(api):
    assert api.post("/api/roadmaps/", {"user_query": "learn to knit"}, format="json").status_code == 201
    again = api.post("/api/roadmaps/", {"user_query": "knitting for beginners"}, format="json")
    assert again.status_code == 409
    existing = Roadmap.objects.get()
    message = GOAL_ALREADY_STARTED.format(title="Knitting")
    assert again.data == {
        "detail": f"confirm: {message}",
        "errors": {"confirm": [message]},
        "existing_roadmap": str(existing.pk),
    }
    confirmed = api.post("/api/roadmaps/", {"user_query": "knitting for beginners", "confirm": True}, format="json")
    assert confirmed.status_code == 201 and Roadmap.objects.count() == 2


def test_the_api_labels_generic_plans_and_offers_the_closest_entries_of_the_goals_domain(api):
    response = api.post("/api/roadmaps/", {"user_query": "learn the cello"}, format="json")
    assert response.status_code == 201
    assert (response.data["origin"], response.data["catalog_entry"]) == ("generic", "")
    assert response.data["warnings"][-1].startswith(NO_CATALOG_MATCH.split("{")[0])
    closest = response.data["closest_catalog_entries"]
    assert len(closest) == 3 and all(catalog()[entry["id"]].domain == "music" for entry in closest)
    listed = api.get("/api/roadmaps/").data["results"][0]
    assert (listed["origin"], listed["catalog_entry"]) == ("generic", "")


def test_a_goal_of_no_known_domain_is_offered_no_expert_plan(api):
    response = api.post("/api/roadmaps/", {"user_query": "quantum gravity research"}, format="json")
    assert response.status_code == 201 and response.data["origin"] == "generic"
    assert response.data["warnings"][-1] == NO_CATALOG_MATCH_NOR_DOMAIN
    assert response.data["closest_catalog_entries"] == []


def test_the_goal_form_explains_that_the_kind_is_optional(page):
    html = page.get("/").content.decode()
    assert KIND_HELP in html and "Work it out for me" in html and "(optional)" in html
    assert 'list="catalog-titles"' in html and '<option value="Juggling three balls">' in html


def test_a_catalog_goal_on_the_page_gets_the_expert_plan(page, learner):
    response = page.post("/roadmaps/new/", {"user_query": "juggling 3 balls"})
    roadmap = Roadmap.objects.get(owner=learner)
    assert response.status_code == 302 and roadmap.deconstruction.catalog_entry == "juggling"
    detail = page.get(response["Location"]).content.decode()
    assert "Three-ball flash" in detail and "cascade" in detail.lower()
    assert '<span class="badge catalog">Expert plan</span>' in page.get("/").content.decode()


def test_a_generic_goal_on_the_page_is_labelled_and_offers_expert_plans(page, learner):
    response = page.post("/roadmaps/new/", {"user_query": "learn the cello"}, follow=True)
    html = response.content.decode()
    assert "No expert plan matches this goal yet" in html
    listing = page.get("/").content.decode()
    assert '<span class="badge generic">Generic plan</span>' in listing
    assert listing.count('name="catalog_entry" value="') == 3
    offered = listing.split('name="catalog_entry" value="')[1].split('"')[0]
    page.post("/roadmaps/new/", {"user_query": catalog()[offered].title, "catalog_entry": offered})
    assert Roadmap.objects.filter(owner=learner, deconstruction__catalog_entry=offered).exists()


def test_the_page_asks_to_confirm_a_second_roadmap_for_the_same_goal(page, learner):
    page.post("/roadmaps/new/", {"user_query": "learn to knit"})
    response = page.post("/roadmaps/new/", {"user_query": "knit a hat"})
    html = response.content.decode()
    assert response.status_code == 409
    assert GOAL_ALREADY_STARTED.format(title="Knitting") in html
    assert f'href="/roadmaps/{Roadmap.objects.get().pk}/"' in html
    assert 'name="confirm" value="on"' in html and Roadmap.objects.count() == 1
    confirmed = page.post("/roadmaps/new/", {"user_query": "knit a hat", "confirm": "on"})
    assert confirmed.status_code == 302 and Roadmap.objects.filter(owner=learner).count() == 2


def test_the_admin_lists_deconstructions_by_origin(client, learner):
    roadmap_create_from_goal(owner=learner, user_query="learn to juggle")
    roadmap_create_from_goal(owner=learner, user_query="asdf qwer")
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    catalog_only = client.get("/admin/roadmaps/skilldeconstruction/?origin=catalog").content.decode()
    assert "Juggling three balls" in catalog_only and "Asdf qwer" not in catalog_only
    generic = client.get("/admin/roadmaps/skilldeconstruction/?origin=generic").content.decode()
    assert "Asdf qwer" in generic and "Juggling three balls" not in generic


@pytest.mark.parametrize("goals", [1, 4])
def test_my_roadmaps_offers_suggestions_without_a_query_per_roadmap(page, learner, goals, django_assert_num_queries):
    for n in range(goals):
        roadmap_create_from_goal(owner=learner, user_query=f"learn the cello, piece {n}")
    roadmap_create_from_goal(owner=learner, user_query="learn to juggle")
    # session, user, the roadmaps joined with their deconstructions, their progress rows, the practice per
    # roadmap, the count of archived roadmaps
    with django_assert_num_queries(6):
        html = page.get("/").content.decode()
    assert html.count('name="catalog_entry" value="') == 3 * goals
