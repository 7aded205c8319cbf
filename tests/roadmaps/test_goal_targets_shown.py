"""The learner's target kept: parsed from the goal, shown on the roadmap, and stated on the final
milestone when the catalog plan's own end point differs."""

import pytest

from roadmaps.catalog import catalog
from roadmaps.services.roadmaps import roadmap_create_from_goal
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def learner_client(client):
    learner = UserFactory()
    client.force_login(learner)
    return client, learner


def page_for(client, learner, goal: str) -> str:
    roadmap, _warnings = roadmap_create_from_goal(owner=learner, user_query=goal)
    return client.get(roadmap.get_absolute_url()).content.decode()


def test_a_distance_the_plan_does_not_reach_is_shown_and_stated_on_the_final_milestone(learner_client):
    client, learner = learner_client
    html = page_for(client, learner, "swim 1 km freestyle without stopping by June")
    assert '<dd id="goal-target">1 km · by June</dd>' in html
    final = html.split('id="learner-target"')[1].split("</p>")[0]
    assert "Your target: <strong>1 km</strong>" in final and catalog()["freestyle-swimming"].stage in final
    assert "by June" not in final  # a deadline is shown, not a plan's end point


def test_a_target_the_plan_already_has_is_shown_but_not_repeated_on_the_final_milestone(learner_client):
    client, learner = learner_client
    html = page_for(client, learner, "run a 5k by June")
    assert '<dd id="goal-target">5 km · by June</dd>' in html and 'id="learner-target"' not in html


def test_a_goal_without_numbers_shows_no_target(learner_client):
    client, learner = learner_client
    html = page_for(client, learner, "learn to juggle")
    assert 'id="goal-target"' not in html and 'id="learner-target"' not in html


def test_a_generic_plan_states_the_target_on_its_final_milestone(learner_client):
    client, learner = learner_client
    html = page_for(client, learner, "learn the cello to grade 5")
    assert '<dd id="goal-target">grade 5</dd>' in html
    assert "Your target: <strong>grade 5</strong>" in html
