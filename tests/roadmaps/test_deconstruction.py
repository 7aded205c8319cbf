"""The deconstruction engine: offline plans, and the LLM generator through a fake transport."""

import json

import pytest

from roadmaps.deconstruction import LLM_BAD_ANSWER, LLMGenerator, OfflineGenerator, get_generator
from roadmaps.plan import milestones_of, plan_errors
from tests.roadmaps.plans import plan

GOALS = [
    ("learn to juggle three balls", "physical", "Juggle three balls"),
    ("I want to learn to play the ukulele", "physical", "Play the ukulele"),
    ("how to do a handstand", "physical", "Do a handstand"),
    ("learn Python", "abstract", "Python"),
    ("Learning Spanish vocabulary", "abstract", "Spanish vocabulary"),
    ("master chess openings", "abstract", "Chess openings"),
    ("get better at public speaking", "abstract", "Public speaking"),
    ("bake sourdough bread", "physical", "Bake sourdough bread"),
    ("Improve my 5k running time", "physical", "5k running time"),
    ("understand linear algebra", "abstract", "Understand linear algebra"),
    ("touch typing", "physical", "Touch typing"),
]


@pytest.mark.parametrize("query, skill_type, name", GOALS)
def test_the_offline_generator_makes_valid_goal_specific_plans(query, skill_type, name):
    generated = OfflineGenerator().generate(query, skill_type)
    assert plan_errors(generated.data) == {}
    assert generated.skill_name == name
    assert [level["level"] for level in generated.data["levels"]] == [1, 2, 3]
    milestones = list(milestones_of(generated.data))
    assert all(name in m.title for m in milestones)
    lowered = name[0].lower() + name[1:]
    assert all(lowered in m.prompt for m in milestones)
    assert generated.data["totalEstimatedTime"] == sum(m.estimated_time for m in milestones)


def test_physical_and_abstract_goals_get_different_plans():
    physical = OfflineGenerator().generate("learn chess", "physical").data
    abstract = OfflineGenerator().generate("learn chess", "abstract").data
    assert physical["levels"][0]["description"] != abstract["levels"][0]["description"]
    assert physical["levels"][0]["milestones"][0]["title"] != abstract["levels"][0]["milestones"][0]["title"]


def fake_transport(status: int, content, tokens: int = 1200, seen: list | None = None):
    def transport(url, headers, body, timeout):
        if seen is not None:
            seen.append((url, headers, json.loads(body)))
        text = content if isinstance(content, str) else json.dumps(content)
        answer = {"choices": [{"message": {"content": text}}], "usage": {"total_tokens": tokens}}
        return status, json.dumps(answer).encode()

    return transport


@pytest.fixture
def llm_settings(settings):
    settings.DECONSTRUCTION_LLM_URL = "http://127.0.0.1:9/v1/chat/completions"
    settings.DECONSTRUCTION_LLM_MODEL = "test-model"
    settings.DECONSTRUCTION_LLM_API_KEY = "sk-test"
    settings.DECONSTRUCTION_LLM_USD_PER_1K_TOKENS = "0.002"
    return settings


def test_the_llm_generator_asks_for_the_seed_json_and_uses_a_valid_answer(llm_settings):
    seen = []
    generated = LLMGenerator(transport=fake_transport(200, plan(), seen=seen)).generate("learn to juggle", "physical")
    assert generated.outcome == "success" and generated.warnings == []
    assert generated.data == plan()
    assert (generated.tokens_used, str(generated.cost_usd)) == (1200, "0.002400")
    url, headers, body = seen[0]
    assert headers["Authorization"] == "Bearer sk-test"
    assert body["model"] == "test-model" and "doThisNow" in body["messages"][0]["content"]


@pytest.mark.parametrize(
    "status, content, reason",
    [
        (200, {"levels": []}, "levels: must be a non-empty list"),
        (200, "this is not json", "Expecting value"),
        (500, plan(), "HTTP 500"),
    ],
)
def test_an_invalid_answer_falls_back_to_the_offline_plan_with_a_clear_warning(llm_settings, status, content, reason):
    generated = LLMGenerator(transport=fake_transport(status, content)).generate("learn to juggle", "physical")
    assert plan_errors(generated.data) == {}
    assert generated.outcome == "error"
    assert generated.warnings[0].startswith(LLM_BAD_ANSWER.split("(")[0])
    assert reason in generated.warnings[0]


def test_the_generator_is_chosen_by_a_setting(settings):
    assert isinstance(get_generator(), OfflineGenerator)
    settings.DECONSTRUCTION_GENERATOR = "roadmaps.deconstruction.LLMGenerator"
    assert isinstance(get_generator(), LLMGenerator)
