"""deconstruction_data validation: every error names its JSON path."""

import pytest
from django.core.exceptions import ValidationError

from roadmaps.plan import (
    BAD_SKILL_ID,
    DUPLICATE_ID,
    MUST_BE_COUNT,
    MUST_BE_ID_LIST,
    MUST_BE_SKILL_LIST,
    PREREQUISITE_CYCLE,
    SELF_PREREQUISITE,
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


def test_a_long_chain_of_prerequisites_is_checked_without_recursion():
    data = plan(milestones_per_level=3000, levels=1)
    chain = data["levels"][0]["milestones"]
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
