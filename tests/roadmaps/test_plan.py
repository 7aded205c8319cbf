"""deconstruction_data validation: every error names its JSON path."""

import pytest
from django.core.exceptions import ValidationError

from roadmaps.plan import DUPLICATE_ID, MUST_BE_COUNT, TOTAL_MISMATCH, plan_errors, validate_plan
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
