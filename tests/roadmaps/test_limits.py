"""Limits that speak: each text field says its length limit, the browser does not cut a pasted
text short, and a longer text is refused with the limit and its length, nothing written."""

import pytest

from roadmaps.forms import LIMIT_HINT
from roadmaps.models import Roadmap, SkillDeconstruction
from tests.factories import RoadmapFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def learner_client(client):
    learner = UserFactory()
    client.force_login(learner)
    return client, learner


def test_the_goal_field_says_its_limit_and_does_not_cut_a_paste(learner_client):
    client, _ = learner_client
    html = client.get("/").content.decode()
    field = html.split('name="user_query"')[1].split(">")[0]
    assert "maxlength" not in field and LIMIT_HINT.format(limit=2000) in html


def test_a_5000_character_goal_is_refused_with_its_length_and_nothing_is_written(learner_client):
    client, _ = learner_client
    response = client.post("/roadmaps/new/", {"user_query": "juggle " * 714 + "xx"})
    assert response.status_code == 400
    assert "at most 2000 characters (it has 5000)" in response.content.decode()
    assert not Roadmap.objects.exists() and not SkillDeconstruction.objects.exists()


def test_the_roadmap_page_says_the_limits_of_its_text_fields(learner_client):
    client, learner = learner_client
    roadmap = RoadmapFactory(owner=learner)
    html = client.get(roadmap.get_absolute_url()).content.decode()
    for limit in (255, 2000, 10000):
        assert LIMIT_HINT.format(limit=limit) in html
    assert 'maxlength="' not in html
