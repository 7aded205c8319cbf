"""deconstruction_data validation: every error names its JSON path."""

import pytest
from django.core.exceptions import ValidationError

from roadmaps.plan import (
    BAD_SKILL_ID,
    DUPLICATE_ID,
    LEVEL_MAX_MILESTONES,
    MILESTONE_MAX_PREREQUISITES,
    MILESTONE_MAX_SKILLS,
    MINUTES_MAX,
    MUST_BE_COUNT,
    MUST_BE_ID_LIST,
    MUST_BE_SKILL_LIST,
    PLAN_MAX_BYTES,
    PLAN_MAX_LEVELS,
    PREREQUISITE_CYCLE,
    REPS_MAX,
    SELF_PREREQUISITE,
    SETS_MAX,
    TOO_BIG,
    TOO_LARGE,
    TOO_LONG,
    TOO_MANY,
    TOTAL_MINUTES_MAX,
    TOTAL_MISMATCH,
    UNKNOWN_PREREQUISITE,
    milestones_of,
    plan_errors,
    validate_plan,
)
from tests.roadmaps.plans import broken, plan


def task(data: dict, level: int) -> dict:
    return data["levels"][level]["milestones"][0]["doThisNow"]


def test_a_valid_plan_has_no_errors():
    assert plan_errors(plan(milestones_per_level=2)) == {}


@pytest.mark.parametrize(
    "mutate, path, message",
    [
        (lambda d: task(d, 0).update(reps=0), "levels[0].milestones[0].doThisNow.reps", MUST_BE_COUNT),
        (lambda d: task(d, 1).update(sets="2"), "levels[1].milestones[0].doThisNow.sets", MUST_BE_COUNT),
        (lambda d: d["levels"][2]["milestones"][0].update(id="m1-1"), "levels[2].milestones[0].id",
         DUPLICATE_ID.format(id="m1-1")),
        (lambda d: d["levels"][0]["milestones"][0].pop("doThisNow"), "levels[0].milestones[0].doThisNow",
         "must be an object"),
        (lambda d: d["levels"][0]["milestones"][0].update(estimatedTime=-5), "levels[0].milestones[0].estimatedTime",
         MUST_BE_COUNT),
        (lambda d: d["levels"][0].update(title=""), "levels[0].title", "must be a non-empty string"),
        (lambda d: d.update(difficulty="legendary"), "difficulty", "must be one of beginner, intermediate, advanced"),
        (lambda d: d.update(totalEstimatedTime=1), "totalEstimatedTime", TOTAL_MISMATCH.format(total=60)),
        (lambda d: d.update(levels=[]), "levels", "must be a non-empty list"),
    ],
)  # fmt: skip
def test_each_error_names_the_json_path(mutate, path, message):
    assert plan_errors(broken(mutate))[path] == message


def test_validate_plan_raises_with_messages_keyed_by_path():
    with pytest.raises(ValidationError) as excinfo:
        validate_plan(broken(lambda d: d["levels"][0]["milestones"][0]["doThisNow"].update(reps=0)))
    assert excinfo.value.message_dict == {"levels[0].milestones[0].doThisNow.reps": [MUST_BE_COUNT]}


def test_a_plan_that_is_not_an_object_is_refused():
    assert plan_errors(["levels"]) == {"deconstruction_data": "must be an object"}


def milestone(data: dict, level: int, index: int = 0) -> dict:
    return data["levels"][level]["milestones"][index]


def test_prerequisites_and_unlocked_skills_are_read_into_milestones():
    data = plan(milestones_per_level=2)
    milestone(data, 1).update(prerequisites=["m1-1", "m1-2"], unlocks_skills=["sql-optimize"])
    assert plan_errors(data) == {}
    joins = next(m for m in milestones_of(data) if m.id == "m2-1")
    assert (joins.prerequisites, joins.unlocks_skills) == (("m1-1", "m1-2"), ("sql-optimize",))
    assert next(milestones_of(data)).prerequisites == ()


@pytest.mark.parametrize(
    "mutate, path, message",
    [
        (lambda d: milestone(d, 1).update(prerequisites=["m9-9"]), "levels[1].milestones[0].prerequisites[0]",
         UNKNOWN_PREREQUISITE.format(id="m9-9")),
        (lambda d: milestone(d, 1).update(prerequisites=["m1-1", 7]), "levels[1].milestones[0].prerequisites[1]",
         UNKNOWN_PREREQUISITE.format(id=7)),
        (lambda d: milestone(d, 0).update(prerequisites="m2-1"), "levels[0].milestones[0].prerequisites",
         MUST_BE_ID_LIST),
        (lambda d: milestone(d, 2).update(prerequisites=["m3-1"]), "levels[2].milestones[0].prerequisites[0]",
         SELF_PREREQUISITE),
        (lambda d: milestone(d, 0).update(unlocks_skills=["sql optimize"]), "levels[0].milestones[0].unlocks_skills[0]",
         BAD_SKILL_ID),
        (lambda d: milestone(d, 0).update(unlocks_skills="sql-optimize"), "levels[0].milestones[0].unlocks_skills",
         MUST_BE_SKILL_LIST),
    ],
)  # fmt: skip
def test_prerequisite_and_skill_errors_name_the_json_path(mutate, path, message):
    assert plan_errors(broken(mutate)) == {path: message}


def test_a_prerequisite_cycle_is_refused_at_the_edge_that_closes_it():
    data = plan()
    milestone(data, 0).update(prerequisites=["m3-1"])
    milestone(data, 1).update(prerequisites=["m1-1"])
    milestone(data, 2).update(prerequisites=["m2-1"])
    assert plan_errors(data) == {
        "levels[1].milestones[0].prerequisites[0]": PREREQUISITE_CYCLE.format(cycle="m1-1 → m3-1 → m2-1 → m1-1")
    }


def test_the_largest_plan_allowed_chains_its_prerequisites_without_recursion():
    data = plan(milestones_per_level=LEVEL_MAX_MILESTONES, levels=PLAN_MAX_LEVELS)
    chain = [m for level in data["levels"] for m in level["milestones"]]
    for before, after in zip(chain, chain[1:], strict=False):
        after["prerequisites"] = [before["id"]]
    assert plan_errors(data) == {}
    chain[0]["prerequisites"] = [chain[-1]["id"]]
    assert list(plan_errors(data)) == ["levels[0].milestones[1].prerequisites[0]"]  # m1-2 → m1-1 closes it


def test_prerequisite_errors_are_reported_with_the_others():
    data = plan()
    milestone(data, 0)["doThisNow"]["reps"] = 0
    milestone(data, 1).update(prerequisites=["nope"])
    assert set(plan_errors(data)) == {
        "levels[0].milestones[0].doThisNow.reps",
        "levels[1].milestones[0].prerequisites[0]",
    }


def first(data: dict) -> dict:
    return data["levels"][0]["milestones"][0]


def many_levels(data: dict) -> None:
    data["levels"] = [{**data["levels"][0], "level": n + 1} for n in range(PLAN_MAX_LEVELS + 1)]


@pytest.mark.parametrize(
    "mutate, path, message",
    [
        (lambda d: first(d)["doThisNow"].update(reps=2**80), "levels[0].milestones[0].doThisNow.reps",
         TOO_LARGE.format(limit=REPS_MAX)),
        (lambda d: first(d)["doThisNow"].update(sets=SETS_MAX + 1), "levels[0].milestones[0].doThisNow.sets",
         TOO_LARGE.format(limit=SETS_MAX)),
        (lambda d: first(d).update(estimatedTime=MINUTES_MAX + 1), "levels[0].milestones[0].estimatedTime",
         TOO_LARGE.format(limit=MINUTES_MAX)),
        (lambda d: d.update(totalEstimatedTime=10**30), "totalEstimatedTime",
         TOO_LARGE.format(limit=TOTAL_MINUTES_MAX)),
        (lambda d: first(d).update(title="t" * 201), "levels[0].milestones[0].title",
         TOO_LONG.format(limit=200, length=201)),
        (lambda d: first(d)["doThisNow"].update(prompt="p" * 2001), "levels[0].milestones[0].doThisNow.prompt",
         TOO_LONG.format(limit=2000, length=2001)),
        (lambda d: first(d)["doThisNow"].update(successCriteria="s" * 1001),
         "levels[0].milestones[0].doThisNow.successCriteria", TOO_LONG.format(limit=1000, length=1001)),
        (lambda d: first(d).update(icon="i" * 51), "levels[0].milestones[0].icon",
         TOO_LONG.format(limit=50, length=51)),
        (lambda d: d["levels"][1].update(description="d" * 2001), "levels[1].description",
         TOO_LONG.format(limit=2000, length=2001)),
        (lambda d: first(d).update(id="i" * 101), "levels[0].milestones[0].id", TOO_LONG.format(limit=100, length=101)),
        (many_levels, "levels", TOO_MANY.format(limit=PLAN_MAX_LEVELS, count=PLAN_MAX_LEVELS + 1)),
        (lambda d: d["levels"][0].update(milestones=[first(d)] * 21), "levels[0].milestones",
         TOO_MANY.format(limit=LEVEL_MAX_MILESTONES, count=21)),
        (lambda d: first(d).update(prerequisites=["m2-1"] * 21), "levels[0].milestones[0].prerequisites",
         TOO_MANY.format(limit=MILESTONE_MAX_PREREQUISITES, count=21)),
        (lambda d: first(d).update(unlocks_skills=["s"] * 11), "levels[0].milestones[0].unlocks_skills",
         TOO_MANY.format(limit=MILESTONE_MAX_SKILLS, count=11)),
        (lambda d: first(d).update(notes="x"), "levels[0].milestones[0].notes", "is not a key of a plan here"),
        (lambda d: first(d)["doThisNow"].update(video="x"), "levels[0].milestones[0].doThisNow.video",
         "is not a key of a plan here"),
        (lambda d: d.update(author="x"), "author", "is not a key of a plan here"),
        (lambda d: d["levels"][0].update(extra=1), "levels[0].extra", "is not a key of a plan here"),
        (lambda d: d["levels"][0].update(padding="x" * PLAN_MAX_BYTES), "deconstruction_data",
         TOO_BIG.format(limit=PLAN_MAX_BYTES, size="")),
    ],
)  # fmt: skip
def test_every_part_of_a_plan_is_bounded_and_the_error_names_its_path(mutate, path, message):
    errors = plan_errors(broken(mutate))
    assert errors[path].startswith(message.split("(")[0].rstrip() if "(" in message else message)


def test_the_largest_catalog_like_plan_is_within_every_bound():
    data = plan(milestones_per_level=LEVEL_MAX_MILESTONES, levels=PLAN_MAX_LEVELS, reps=REPS_MAX, sets=SETS_MAX)
    for level in data["levels"]:
        for milestone in level["milestones"]:
            milestone.update(estimatedTime=MINUTES_MAX)
    data["totalEstimatedTime"] = TOTAL_MINUTES_MAX
    assert plan_errors(data) == {}
