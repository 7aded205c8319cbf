"""Issue 24, points 5 and 7 for plans and roadmaps: every part of a posted plan is bounded (a 400
naming the JSON path, nothing stored), the schema states those bounds, and a PUT must carry what
it replaces."""

import jsonschema
import pytest

from roadmaps.models import MilestoneProgress, Roadmap, SkillDeconstruction
from roadmaps.plan import LEVEL_MAX_MILESTONES, PLAN_MAX_BYTES, PLAN_MAX_LEVELS, REPS_MAX, TEXT_MAX_LENGTHS
from skills.models import UsageEvent
from tests.factories import make_roadmap
from tests.roadmaps.plans import plan

pytestmark = pytest.mark.django_db


def post_plan(api, data):
    return api.post("/api/deconstructions/", {"user_query": "learn it", "deconstruction_data": data}, format="json")


def assert_nothing_stored():
    assert not SkillDeconstruction.objects.exists() and not Roadmap.objects.exists()
    assert not MilestoneProgress.objects.exists() and not UsageEvent.objects.exists()


def test_a_plan_number_of_2_to_the_80_is_refused_naming_its_path(api):
    data = plan()
    data["levels"][0]["milestones"][0]["doThisNow"]["reps"] = 2**80
    response = post_plan(api, data)
    assert response.status_code == 400
    assert response.data["errors"]["levels[0].milestones[0].doThisNow.reps"] == [f"must be at most {REPS_MAX}"]
    assert_nothing_stored()


def test_a_plan_of_4000_milestones_is_refused_before_any_row_is_written(api):
    data = plan(milestones_per_level=4000, levels=1)
    response = post_plan(api, data)
    assert response.status_code == 400
    assert "deconstruction_data" in response.data["errors"] or "levels[0].milestones" in response.data["errors"]
    assert_nothing_stored()


def test_a_plan_with_too_many_milestones_in_a_level_names_the_level(api):
    response = post_plan(api, plan(milestones_per_level=LEVEL_MAX_MILESTONES + 1, levels=1))
    assert response.status_code == 400
    assert response.data["errors"]["levels[0].milestones"] == [
        f"must have at most {LEVEL_MAX_MILESTONES} items (it has {LEVEL_MAX_MILESTONES + 1})"
    ]
    assert_nothing_stored()


@pytest.mark.parametrize("field", ["title", "description", "icon"])
def test_a_huge_milestone_text_is_refused_naming_its_path(api, field):
    data = plan()
    data["levels"][0]["milestones"][0][field] = "x" * 9_000_000
    response = post_plan(api, data)
    assert response.status_code in (400, 413)
    assert_nothing_stored()


def test_a_milestone_text_just_over_its_cap_names_the_cap(api):
    data = plan()
    data["levels"][2]["milestones"][0]["doThisNow"]["prompt"] = "p" * (TEXT_MAX_LENGTHS["prompt"] + 1)
    response = post_plan(api, data)
    assert response.status_code == 400
    assert response.data["errors"]["levels[2].milestones[0].doThisNow.prompt"] == [
        f"must be at most {TEXT_MAX_LENGTHS['prompt']} characters (it has {TEXT_MAX_LENGTHS['prompt'] + 1})"
    ]
    assert_nothing_stored()


def test_a_plan_padded_with_a_key_of_its_own_is_refused(api):
    data = plan()
    data["levels"][0]["milestones"][0]["payload"] = "x" * 1000
    response = post_plan(api, data)
    assert response.status_code == 400 and "levels[0].milestones[0].payload" in response.data["errors"]
    assert_nothing_stored()


def plan_schema(api) -> dict:
    components = api.get("/api/schema/?format=json").json()["components"]["schemas"]
    return components["DeconstructionInputRequest"]["properties"]["deconstruction_data"]


def test_the_schema_states_the_plans_structure_and_bounds(api):
    schema = plan_schema(api)
    assert schema["required"] == ["levels", "totalEstimatedTime", "difficulty"]
    assert schema["additionalProperties"] is False and f"At most {PLAN_MAX_BYTES} bytes" in schema["description"]
    levels = schema["properties"]["levels"]
    assert (levels["minItems"], levels["maxItems"]) == (1, PLAN_MAX_LEVELS)
    milestones = levels["items"]["properties"]["milestones"]
    assert (milestones["minItems"], milestones["maxItems"]) == (1, LEVEL_MAX_MILESTONES)
    milestone = milestones["items"]
    assert set(milestone["required"]) == {"id", "title", "description", "icon", "estimatedTime", "doThisNow"}
    task = milestone["properties"]["doThisNow"]
    assert task["properties"]["reps"] == {"type": "integer", "minimum": 1, "maximum": REPS_MAX}
    assert task["properties"]["prompt"]["maxLength"] == TEXT_MAX_LENGTHS["prompt"]
    assert milestone["properties"]["unlocks_skills"]["maxItems"] == 10


def test_a_catalog_plan_and_an_engine_plan_fit_the_schema(api, owner):
    validator = jsonschema.Draft4Validator(plan_schema(api))
    for goal in ("learn to juggle", "learn to ride a unicycle"):
        made = make_roadmap(owner, query=goal)
        assert not list(validator.iter_errors(made.deconstruction.deconstruction_data)), goal


def test_put_without_a_body_is_a_400_naming_the_title_and_changes_nothing(api, owner):
    roadmap = make_roadmap(owner)
    response = api.put(f"/api/roadmaps/{roadmap.pk}/", {}, format="json")
    assert response.status_code == 400 and "title" in response.data["errors"]
    assert Roadmap.objects.get(pk=roadmap.pk).title == roadmap.title
    assert api.patch(f"/api/roadmaps/{roadmap.pk}/", {}, format="json").status_code == 200  # PATCH: what it names


def test_the_schema_requires_the_title_of_a_put_only(api):
    components = api.get("/api/schema/?format=json").json()["components"]["schemas"]
    assert components["RoadmapUpdateRequest"]["required"] == ["title"]
    assert "required" not in components["PatchedRoadmapUpdateRequest"]
