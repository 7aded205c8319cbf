"""The learner's target in a goal: numbers with their units, levels and deadlines."""

import pytest

from roadmaps.goal_targets import parse_targets, without_targets


@pytest.mark.parametrize(
    "goal, expected",
    [
        ("swim 1 km freestyle without stopping", [("distance", "1 km")]),
        ("run a 5k by June", [("distance", "5 km"), ("deadline", "by June")]),
        ("hold a handstand for 30 seconds", [("duration", "30 seconds")]),
        ("a 20 minute walk", [("duration", "20 minutes")]),
        ("solve the cube in under 1 minute", [("duration", "under 1 minute")]),
        ("piano grade 5 by Christmas", [("level", "grade 5"), ("deadline", "by Christmas")]),
        ("pass HSK 2", [("level", "HSK 2")]),
        ("reach 10 kyu in go", [("level", "10 kyu")]),
        ("learn chinese in one year", [("deadline", "in one year")]),
        ("algebra for my exam in May", [("deadline", "in May")]),
        ("type 60 words per minute", [("speed", "60 words a minute")]),
        ("do 5 pull-ups", [("count", "5 pull-ups")]),
    ],
)
def test_a_goals_targets_are_parsed_with_their_units(goal, expected):
    assert [(t.kind, t.text) for t in parse_targets(goal)] == expected


@pytest.mark.parametrize("goal", ["algebra 1 for university", "as fast as I can", "learn to juggle", ""])
def test_a_goal_without_a_target_has_none(goal):
    assert parse_targets(goal) == []


def test_the_numbers_are_read_as_numbers():
    assert [t.number for t in parse_targets("run 5.5 km in three weeks")] == [5.5, 3.0]


def test_targets_are_cut_from_the_goal_but_the_things_counted_stay():
    assert without_targets("run a 5k by June").split() == ["run", "a"]
    assert without_targets("do 5 pull-ups").split() == ["do", "pull-ups"]
    assert without_targets("pass HSK 2").split() == ["pass", "HSK"]
