"""The deconstruction engine: offline plans, and the LLM generator through a fake transport."""

import json
import urllib.error

import pytest

from roadmaps.catalog.matching import closest_entries
from roadmaps.choices import SkillType
from roadmaps.deconstruction import (
    LLM_FALLBACK,
    LLM_NOT_CONFIGURED,
    OFFLINE_SKILL_ID,
    LLMGenerator,
    OfflineGenerator,
    get_generator,
    goal_phrase,
    kind_of,
    offline_plan,
)
from roadmaps.plan import PLAN_JSON_SCHEMA, milestones_of, plan_errors, unlocks_by_path
from tests.roadmaps.plans import gated_plan, plan
from tests.roadmaps.test_catalog import agrees

# (goal, skill type given or "" for none, the kind used, a word only its domain's plan uses)
GOALS = [
    ("learn to ride a unicycle", "physical", "physical", "simplest movement"),
    ("I want to learn to play the oboe", "", "physical", "metronome"),
    ("learn Rust", "", "abstract", "FizzBuzz"),
    ("learn Portuguese", "", "mixed", "native speaker"),
    ("understand linear algebra", "", "abstract", "end of the chapter"),
    ("master backgammon", "", "abstract", "tactics puzzles"),
    ("get better at debate", "", "mixed", "friendly audience"),
    ("bake croissants", "", "physical", "the recipe"),
    ("asdf qwer", "", "mixed", "beginner resources"),
    ("learn python", "physical", "physical", "an editor"),
]


@pytest.mark.parametrize("query, given, kind, domain_word", GOALS)
def test_the_generic_engine_makes_valid_sensible_plans(query, given, kind, domain_word):
    generated = OfflineGenerator().generate(query, given or kind_of(query))
    data = generated.data
    assert plan_errors(data) == {} and kind_of(query) in SkillType.values
    assert (given or kind_of(query)) == kind
    milestones = list(milestones_of(data))
    goal = goal_phrase(query).lower()
    assert not any(goal in m.title.lower() or goal in m.prompt.lower() for m in milestones), "no goal words pasted"
    assert all(m.practice_type for m in milestones)
    assert all(agrees(m.reps, m.sets, m.success_criteria) for m in milestones)
    assert domain_word in json.dumps(data)
    if kind != "physical":
        assert "safe" not in json.dumps(data) and "warm up" not in json.dumps(data)
    assert data["totalEstimatedTime"] == sum(m.estimated_time for m in milestones)
    assert generated.skill_id == OFFLINE_SKILL_ID and generated.outcome == "success"


def test_each_level_waits_for_the_one_before():
    data = offline_plan("learn to ride a unicycle", "physical")
    assert [m.prerequisites for m in milestones_of(data)] == [(), (), ("m1-1", "m1-2"), (), ("m2-1", "m2-2"), ()]


def test_kinds_and_domains_shape_different_plans():
    plans = {json.dumps(offline_plan(query, kind)) for query, _, kind, _ in GOALS}
    assert len(plans) >= 8
    physical = offline_plan("learn backgammon", "physical")
    abstract = offline_plan("learn backgammon", "abstract")
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
    assert body["model"] == "test-model" and "JSON schema" in body["messages"][0]["content"]
    assert generated.origin == "llm"


def test_the_llm_is_held_to_the_plan_schema_and_shown_the_closest_catalog_plans(llm_settings):
    seen = []
    LLMGenerator(transport=fake_transport(200, plan(), seen=seen)).generate("learn to play the oboe", "physical")
    body = seen[0][2]
    assert body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "skill_plan", "strict": True, "schema": PLAN_JSON_SCHEMA},
    }
    examples = closest_entries("learn to play the oboe", limit=2)
    roles = [message["role"] for message in body["messages"]]
    assert roles == ["system", "user", "assistant", "user", "assistant", "user"]
    assert [json.loads(m["content"]) for m in body["messages"] if m["role"] == "assistant"] == [
        e.entry.plan for e in examples
    ]
    assert body["messages"][1]["content"].startswith(f"Goal: {examples[0].entry.title}")
    assert body["messages"][-1]["content"] == "Goal: learn to play the oboe\nSkill type: physical"


def test_every_catalog_plan_fits_the_schema_given_to_the_llm():
    jsonschema = pytest.importorskip("jsonschema")
    from roadmaps.catalog import catalog

    for entry in catalog().values():
        data = {**entry.plan_copy()}
        for level in data["levels"]:
            for milestone in level["milestones"]:
                milestone.setdefault("prerequisites", [])
                milestone.pop("unlocks_skills", None)
        jsonschema.validate(data, PLAN_JSON_SCHEMA)


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
        (
            200,
            gated_plan(("security-audit",)),
            "InvalidPlan",
            "levels[1].milestones[0].unlocks_skills: an engine's plan may not unlock agent skills",
        ),
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


def test_the_catalog_plans_shown_to_the_model_unlock_nothing(llm_settings):
    goal = "learn sql databases"
    assert any(unlocks_by_path(match.entry.plan) for match in closest_entries(goal, limit=2))  # as shipped
    seen = []
    LLMGenerator(transport=fake_transport(200, plan(), seen=seen)).generate(goal, "abstract")
    examples = [json.loads(m["content"]) for m in seen[0][2]["messages"] if m["role"] == "assistant"]
    assert examples and not any(unlocks_by_path(example) for example in examples)


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
