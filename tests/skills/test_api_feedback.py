"""Feedback: filtered by tag in the API and the admin; feedback for an unknown skill registers it."""

import pytest
from django.db import IntegrityError, connection, transaction

from skills.models import FEEDBACK_NOTES_MAX_LENGTH, Feedback, Skill, SkillMetrics
from skills.services.metrics import EVENT_UNKNOWN, FEEDBACK_REGISTERED_DESCRIPTION, feedback_record
from skills.services.registry import SKILL_ID_INVALID
from skillsite.lookups import NOT_A_STRING
from tests.factories import SkillFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def tagged(user):
    """Feedback of the user with tag sets chosen to catch substring and case matches."""
    SkillFactory(skill_id="pdf")
    rows = {
        "slow": ["slow", "wrong-format"],
        "slowish": ["slowish"],
        "Slow": ["Slow"],
        "quoted": ['say "slow"', "ünïcode"],
        "none": [],
    }
    made = {name: feedback_record(user=user, skill_id="pdf", rating=3, tags=tags) for name, tags in rows.items()}
    made["theirs"] = feedback_record(user=UserFactory(), skill_id="pdf", rating=3, tags=["slow"])
    return made


def listed(client, query: str) -> set[int]:
    response = client.get(f"/api/feedback/?{query}")
    assert response.status_code == 200, response.data
    return {row["id"] for row in response.data["results"]}


def test_the_tag_filter_matches_whole_tags_exactly_and_only_the_callers_feedback(user_client, tagged):
    assert listed(user_client, "tag=slow") == {tagged["slow"].pk}
    assert listed(user_client, "tag=Slow") == {tagged["Slow"].pk}
    assert listed(user_client, "tag=wrong-format") == {tagged["slow"].pk}
    assert listed(user_client, "tag=slo") == set()


def test_the_tag_filter_handles_quotes_and_non_ascii_tags(user_client, tagged):
    assert listed(user_client, "tag=%C3%BCn%C3%AFcode") == {tagged["quoted"].pk}
    assert listed(user_client, "tag=say+%22slow%22") == {tagged["quoted"].pk}


def test_the_tag_filter_combines_with_skill_and_rating(user_client, tagged):
    SkillFactory(skill_id="csv")
    other = feedback_record(user=tagged["slow"].user, skill_id="csv", rating=5, tags=["slow"])
    assert listed(user_client, "tag=slow") == {tagged["slow"].pk, other.pk}
    assert listed(user_client, "tag=slow&skill=csv") == {other.pk}
    assert listed(user_client, "tag=slow&rating=3") == {tagged["slow"].pk}


@pytest.mark.parametrize("rows", [3, 30])
def test_the_filtered_feedback_list_costs_two_queries(user, user_client, django_assert_num_queries, rows):
    SkillFactory(skill_id="pdf")
    for n in range(rows):
        feedback_record(user=user, skill_id="pdf", tags=["slow"] if n % 2 else ["fast"])
    # the count, the page (with its events)
    with django_assert_num_queries(2):
        assert len(listed(user_client, "tag=slow")) == rows // 2


@pytest.mark.postgres
def test_the_tag_filter_is_served_by_the_gin_index(user, tagged):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = Feedback.objects.filter(tags__has_element="slow").explain()
    assert "feedback_tags_gin_idx" in plan


def test_an_operators_feedback_for_an_unknown_skill_registers_it_disabled(user_registers_skills, user_client):
    response = user_client.post(
        "/api/feedback/", {"skill_id": "brand-new", "rating": 5, "tags": ["first"]}, format="json"
    )
    assert response.status_code == 201, response.data
    skill = Skill.objects.get(pk="brand-new")
    assert (skill.enabled, skill.description) == (False, FEEDBACK_REGISTERED_DESCRIPTION)
    assert SkillMetrics.objects.get(skill=skill).avg_rating == 5
    assert listed(user_client, "tag=first") == {response.data["id"]}


@pytest.mark.parametrize(
    "payload, field, message, status",
    [
        ({"skill_id": "brand-new", "rating": 9}, "rating", None, 400),
        # an id that names nothing of yours is a 404, as everywhere in the API
        ({"skill_id": "brand-new", "event_id": "7c6f5a43-3c3e-4a55-9f0e-8d1b2f0a9e11"}, "event_id", EVENT_UNKNOWN, 404),
        ({"skill_id": "brand new"}, "skill_id", SKILL_ID_INVALID, 400),
    ],
)
def test_refused_feedback_registers_no_skill(user_registers_skills, user_client, payload, field, message, status):
    response = user_client.post("/api/feedback/", payload, format="json")
    assert response.status_code == status and field in response.data["errors"]
    assert message is None or response.data["errors"][field] == [message]
    assert not Skill.objects.exists() and not Feedback.objects.exists()


def test_the_admin_filters_feedback_by_tag_and_links_each_tag(admin_client, tagged):
    page = admin_client.get("/admin/skills/feedback/?tag=slow")
    assert {feedback.pk for feedback in page.context["cl"].result_list} == {tagged["slow"].pk, tagged["theirs"].pk}
    html = admin_client.get("/admin/skills/feedback/").content.decode()
    assert '<a href="?tag=wrong-format">wrong-format</a>' in html
    assert '<a href="?tag=say%20%22slow%22">say &quot;slow&quot;</a>' in html
    choices = [choice["display"] for choice in page.context["cl"].filter_specs[1].choices(page.context["cl"])]
    assert choices == ["All", "Slow", 'say "slow"', "slow", "slowish", "wrong-format", "ünïcode"]


def test_has_element_compares_strings_only():
    with pytest.raises(TypeError, match=NOT_A_STRING.format(type="int")):
        list(Feedback.objects.filter(tags__has_element=3))


@pytest.mark.parametrize(
    "payload, errors",
    [
        ({"skill_id": "pdf", "tags": [0]}, {"tags": {"0": ["Must be a string, not a number."]}}),
        ({"skill_id": "pdf", "tags": ["ok", {"a": 1}]}, {"tags": {"1": ["Must be a string, not an object."]}}),
        ({"skill_id": "pdf", "tags": ["t"] * 21}, {"tags": ["Ensure this field has no more than 20 elements."]}),
        ({"skill_id": "pdf", "notes": "n" * (FEEDBACK_NOTES_MAX_LENGTH + 1)},
         {"notes": [f"Ensure this value has at most {FEEDBACK_NOTES_MAX_LENGTH} characters (it has 5001)."]}),
    ],
)  # fmt: skip
def test_tags_are_strings_only_and_notes_are_capped(user_client, payload, errors):
    SkillFactory(skill_id="pdf")
    response = user_client.post("/api/feedback/", payload, format="json")
    assert response.status_code == 400
    assert {field: response.json()["errors"][field] for field in errors} == errors
    assert not Feedback.objects.exists()


def test_the_database_refuses_notes_over_the_cap_too(user):
    skill = SkillFactory(skill_id="pdf")
    with pytest.raises(IntegrityError), transaction.atomic():
        Feedback.objects.create(user=user, skill=skill, notes="n" * (FEEDBACK_NOTES_MAX_LENGTH + 1))


def test_the_schema_states_the_tags_and_notes_bounds(user_client):
    component = user_client.get("/api/schema/?format=json").json()["components"]["schemas"]["FeedbackRequest"]
    tags, notes = component["properties"]["tags"], component["properties"]["notes"]
    assert (tags["items"]["type"], tags["maxItems"], notes["maxLength"]) == ("string", 20, FEEDBACK_NOTES_MAX_LENGTH)
