"""The deconstruction engine: offline plans, and the LLM generator through a fake transport."""

import json
import urllib.error

import pytest

from roadmaps.deconstruction import (
    LLM_FALLBACK,
    LLM_NOT_CONFIGURED,
    OFFLINE_SKILL_ID,
    LLMGenerator,
    OfflineGenerator,
    get_generator,
)
from roadmaps.plan import milestones_of, plan_errors
from tests.roadmaps.plans import plan

# (goal, skill type, skill name, the goal as a noun in the prompts, a word only its domain uses)
GOALS = [
    ("learn to juggle three balls", "physical", "Juggle three balls", "juggling three balls", "simplest movement"),
    ("I want to learn to play the ukulele", "physical", "Play the ukulele", "playing the ukulele", "metronome"),
    ("how to do a handstand", "physical", "Do a handstand", "doing a handstand", "good form"),
    ("learn Python", "abstract", "Python", "Python", "FizzBuzz"),
    ("Learning Spanish vocabulary", "abstract", "Spanish vocabulary", "Spanish vocabulary", "native speaker"),
    ("master chess openings", "abstract", "Chess openings", "chess openings", "tactics puzzles"),
    ("get better at public speaking", "abstract", "Public speaking", "public speaking", "five-minute talk"),
    ("bake sourdough bread", "physical", "Bake sourdough bread", "baking sourdough bread", "kneading"),
    ("Improve my 5k running time", "physical", "5k running time", "5k running time", "cool-down"),
    ("understand linear algebra", "abstract", "Understand linear algebra", "understanding linear algebra",
     "end of the chapter"),
    ("touch typing", "physical", "Touch typing", "touch typing", "simplest movement"),
    ("learn to draw portraits", "physical", "Draw portraits", "drawing portraits", "reference image"),
]  # fmt: skip


@pytest.mark.parametrize("query, skill_type, name, topic, domain_word", GOALS)
def test_the_offline_generator_makes_valid_goal_specific_plans(query, skill_type, name, topic, domain_word):
    generated = OfflineGenerator().generate(query, skill_type)
    assert plan_errors(generated.data) == {}
    assert generated.skill_name == name
    assert [level["level"] for level in generated.data["levels"]] == [1, 2, 3]
    assert [level["title"].split(": ")[1] for level in generated.data["levels"]] == ["Foundation", "Practice",
                                                                                       "Mastery"]  # fmt: skip
    milestones = list(milestones_of(generated.data))
    assert all(m.title.startswith(f"{name}: ") for m in milestones)
    assert all(topic in m.prompt for m in milestones)
    assert domain_word in json.dumps(generated.data)
    assert generated.data["totalEstimatedTime"] == sum(m.estimated_time for m in milestones)
    assert generated.skill_id == OFFLINE_SKILL_ID and generated.outcome == "success"


def test_goals_get_different_plans():
    plans = {json.dumps(OfflineGenerator().generate(query, kind).data) for query, kind, *_ in GOALS}
    assert len(plans) == len(GOALS)


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


def test_an_answer_in_a_code_fence_is_read(llm_settings):
    fenced = f"```json\n{json.dumps(plan())}\n```"
    generated = LLMGenerator(transport=fake_transport(200, fenced)).generate("learn to juggle", "physical")
    assert generated.outcome == "success" and generated.data == plan()


@pytest.mark.parametrize(
    "status, content, error_type, reason",
    [
        (200, {"levels": []}, "InvalidPlan", "levels: must be a non-empty list"),
        (200, {**plan(), "totalEstimatedTime": 1}, "InvalidPlan", "totalEstimatedTime: must equal the sum"),
        (200, "this is not json", "InvalidPlan", "not JSON: Expecting value"),
        (500, plan(), "HTTPError", "the endpoint answered HTTP 500"),
    ],
)
def test_an_invalid_answer_falls_back_to_the_offline_plan_with_a_clear_warning(
    llm_settings, status, content, error_type, reason
):
    generated = LLMGenerator(transport=fake_transport(status, content)).generate("learn to juggle", "physical")
    assert plan_errors(generated.data) == {} and generated.skill_name == "Juggle"
    assert (generated.outcome, generated.error_type) == ("error", error_type)
    assert generated.warnings[0].startswith(LLM_FALLBACK.split("(")[0])
    assert reason in generated.warnings[0]
    assert generated.tokens_used == (1200 if status == 200 else 0)  # tokens spent on a bad answer still count


def test_an_answer_that_is_not_a_chat_completion_falls_back(llm_settings):
    def transport(url, headers, body, timeout):
        return 200, b'{"error": "overloaded"}'

    generated = LLMGenerator(transport=transport).generate("learn to juggle", "physical")
    assert (generated.error_type, generated.warnings) == (
        "BadResponse",
        [LLM_FALLBACK.format(reason="not a chat-completions answer")],
    )


def test_an_unreachable_endpoint_falls_back(llm_settings):
    def transport(url, headers, body, timeout):
        assert timeout == 30.0
        raise urllib.error.URLError("connection refused")

    generated = LLMGenerator(transport=transport).generate("learn to juggle", "physical")
    assert generated.error_type == "Unreachable" and "connection refused" in generated.warnings[0]
    assert plan_errors(generated.data) == {}


def test_an_unconfigured_llm_generator_falls_back_without_a_request(settings):
    settings.DECONSTRUCTION_LLM_URL = ""

    def transport(url, headers, body, timeout):
        raise AssertionError("no request without a URL")

    generated = LLMGenerator(transport=transport).generate("learn to juggle", "physical")
    assert generated.error_type == "NotConfigured"
    assert generated.warnings == [LLM_FALLBACK.format(reason=LLM_NOT_CONFIGURED)]


def test_the_generator_is_chosen_by_a_setting(settings):
    assert isinstance(get_generator(), OfflineGenerator)
    settings.DECONSTRUCTION_GENERATOR = "roadmaps.deconstruction.LLMGenerator"
    assert isinstance(get_generator(), LLMGenerator)
