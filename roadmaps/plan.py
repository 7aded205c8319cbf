"""The shape of `deconstruction_data` (seed 003), checked with errors that name the JSON path.

{"levels": [{"level": 1, "title", "description", "milestones": [
    {"id", "title", "description",
     "doThisNow": {"prompt", "reps" ≥ 1, "sets" ≥ 1, "successCriteria"},
     "estimatedTime": minutes ≥ 1, "icon",
     "practiceType": optional, one of ActivityType's values,
     "prerequisites": optional, ids of milestones of the same plan (no cycles),
     "unlocks_skills": optional, agent skill ids (slugs) granted on completion}]}],
 "totalEstimatedTime": minutes, "difficulty": "beginner" | "intermediate" | "advanced"}
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass

from django.core.exceptions import ValidationError

from .choices import ActivityType

DIFFICULTIES = ("beginner", "intermediate", "advanced")
MUST_BE_OBJECT = "must be an object"
MUST_BE_LIST = "must be a non-empty list"
MUST_BE_TEXT = "must be a non-empty string"
MUST_BE_COUNT = "must be an integer ≥ 1"
DUPLICATE_ID = "duplicate milestone id {id!r}"
TOTAL_MISMATCH = "must equal the sum of the milestones' estimatedTime ({total})"
BAD_DIFFICULTY = f"must be one of {', '.join(DIFFICULTIES)}"
NUL_CHARACTER = "must not contain NUL (\\u0000) characters"
LEVELS_OUT_OF_ORDER = "levels must be numbered 1, 2, 3… in order"
BAD_PRACTICE_TYPE = "must be one of {choices}"
MUST_BE_ID_LIST = "must be a list of milestone ids"
UNKNOWN_PREREQUISITE = "is not a milestone id of this plan: {id!r}"
SELF_PREREQUISITE = "a milestone cannot be its own prerequisite"
PREREQUISITE_CYCLE = "prerequisites form a cycle: {cycle}"
MUST_BE_SKILL_LIST = "must be a list of skill ids"
BAD_SKILL_ID = "must be a skill id: letters, digits, - and _, at most 100 characters"
_SKILL_ID = re.compile(r"^[-a-zA-Z0-9_]{1,100}\Z")


@dataclass(frozen=True)
class Milestone:
    id: str
    title: str
    description: str
    prompt: str
    reps: int
    sets: int
    success_criteria: str
    estimated_time: int
    icon: str
    level: int
    practice_type: str = ""
    prerequisites: tuple[str, ...] = ()
    unlocks_skills: tuple[str, ...] = ()

    @property
    def target(self) -> int:
        """Completions that finish the milestone: reps × sets."""
        return self.reps * self.sets


def _text(errors: dict, path: str, value) -> None:
    if not isinstance(value, str) or not value.strip():
        errors[path] = MUST_BE_TEXT


def _count(errors: dict, path: str, value) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        errors[path] = MUST_BE_COUNT


def _check_milestone(errors: dict, path: str, milestone, seen: set) -> None:
    if not isinstance(milestone, dict):
        errors[path] = MUST_BE_OBJECT
        return
    for key in ("id", "title", "description", "icon"):
        _text(errors, f"{path}.{key}", milestone.get(key))
    if isinstance(milestone.get("id"), str):
        if milestone["id"] in seen:
            errors[f"{path}.id"] = DUPLICATE_ID.format(id=milestone["id"])
        elif len(milestone["id"]) > 100:
            errors[f"{path}.id"] = "must be at most 100 characters"
        seen.add(milestone["id"])
    _count(errors, f"{path}.estimatedTime", milestone.get("estimatedTime"))
    if "practiceType" in milestone and milestone["practiceType"] not in ActivityType.values:
        errors[f"{path}.practiceType"] = BAD_PRACTICE_TYPE.format(choices=", ".join(ActivityType.values))
    _check_skill_ids(errors, f"{path}.unlocks_skills", milestone.get("unlocks_skills", []))
    task = milestone.get("doThisNow")
    if not isinstance(task, dict):
        errors[f"{path}.doThisNow"] = MUST_BE_OBJECT
        return
    _text(errors, f"{path}.doThisNow.prompt", task.get("prompt"))
    _count(errors, f"{path}.doThisNow.reps", task.get("reps"))
    _count(errors, f"{path}.doThisNow.sets", task.get("sets"))
    _text(errors, f"{path}.doThisNow.successCriteria", task.get("successCriteria"))


def _check_skill_ids(errors: dict, path: str, skill_ids) -> None:
    if not isinstance(skill_ids, list):
        errors[path] = MUST_BE_SKILL_LIST
        return
    for k, skill_id in enumerate(skill_ids):
        if not isinstance(skill_id, str) or not _SKILL_ID.match(skill_id):
            errors[f"{path}[{k}]"] = BAD_SKILL_ID


def _prerequisite_edges(errors: dict, levels: list) -> dict[str, list[tuple[str, str]]]:
    """{milestone id: [(prerequisite id, its JSON path)]}, with unknown or malformed ids reported."""
    placed = [
        (i, j, milestone)
        for i, level in enumerate(levels)
        if isinstance(level, dict) and isinstance(level.get("milestones"), list)
        for j, milestone in enumerate(level["milestones"])
        if isinstance(milestone, dict)
    ]
    known = {milestone.get("id") for _, _, milestone in placed if isinstance(milestone.get("id"), str)}
    edges: dict[str, list[tuple[str, str]]] = {}
    for i, j, milestone in placed:
        path = f"levels[{i}].milestones[{j}].prerequisites"
        required = milestone.get("prerequisites", [])
        if not isinstance(required, list):
            errors[path] = MUST_BE_ID_LIST
            continue
        for k, prerequisite in enumerate(required):
            if not isinstance(prerequisite, str) or prerequisite not in known:
                errors[f"{path}[{k}]"] = UNKNOWN_PREREQUISITE.format(id=prerequisite)
            elif prerequisite == milestone["id"]:
                errors[f"{path}[{k}]"] = SELF_PREREQUISITE
            else:
                edges.setdefault(milestone["id"], []).append((prerequisite, f"{path}[{k}]"))
    return edges


def _check_cycles(errors: dict, edges: dict[str, list[tuple[str, str]]]) -> None:
    """Depth-first search (iterative: a posted plan may chain thousands of milestones); the
    edge that closes a cycle is reported at its JSON path."""
    done: set[str] = set()
    for root in edges:
        if root in done:
            continue
        trail, stack = [root], [iter(edges.get(root, []))]
        while stack:
            step = next(stack[-1], None)
            if step is None:
                done.add(trail.pop())
                stack.pop()
                continue
            prerequisite, path = step
            if prerequisite in trail:
                cycle = [*trail[trail.index(prerequisite) :], prerequisite]
                errors.setdefault(path, PREREQUISITE_CYCLE.format(cycle=" → ".join(cycle)))
            elif prerequisite not in done:
                trail.append(prerequisite)
                stack.append(iter(edges.get(prerequisite, [])))


def plan_errors(data) -> dict[str, str]:
    """{JSON path: message} for everything wrong with a deconstruction; empty when valid."""
    if not isinstance(data, dict):
        return {"deconstruction_data": MUST_BE_OBJECT}
    if "\\u0000" in json.dumps(data):
        return {"deconstruction_data": NUL_CHARACTER}
    errors: dict[str, str] = {}
    levels = data.get("levels")
    if not isinstance(levels, list) or not levels:
        return {"levels": MUST_BE_LIST}
    seen: set[str] = set()
    for i, level in enumerate(levels):
        path = f"levels[{i}]"
        if not isinstance(level, dict):
            errors[path] = MUST_BE_OBJECT
            continue
        number = level.get("level")
        if not isinstance(number, int) or isinstance(number, bool) or number != i + 1:
            errors[f"{path}.level"] = LEVELS_OUT_OF_ORDER
        _text(errors, f"{path}.title", level.get("title"))
        _text(errors, f"{path}.description", level.get("description"))
        milestones = level.get("milestones")
        if not isinstance(milestones, list) or not milestones:
            errors[f"{path}.milestones"] = MUST_BE_LIST
            continue
        for j, milestone in enumerate(milestones):
            _check_milestone(errors, f"{path}.milestones[{j}]", milestone, seen)
    if data.get("difficulty") not in DIFFICULTIES:
        errors["difficulty"] = BAD_DIFFICULTY
    _count(errors, "totalEstimatedTime", data.get("totalEstimatedTime"))
    _check_cycles(errors, _prerequisite_edges(errors, levels))
    if not errors:
        total = sum(m.estimated_time for m in milestones_of(data))
        if data["totalEstimatedTime"] != total:
            errors["totalEstimatedTime"] = TOTAL_MISMATCH.format(total=total)
    return errors


def validate_plan(data) -> None:
    """Raises ValidationError keyed by JSON path: `levels[0].milestones[1].doThisNow.reps: must be …`."""
    errors = plan_errors(data)
    if errors:
        raise ValidationError({path: [message] for path, message in errors.items()})


def milestones_of(data: dict) -> Iterator[Milestone]:
    """The milestones of a valid plan, in order."""
    for level in data["levels"]:
        for m in level["milestones"]:
            task = m["doThisNow"]
            yield Milestone(
                id=m["id"],
                title=m["title"],
                description=m["description"],
                prompt=task["prompt"],
                reps=task["reps"],
                sets=task["sets"],
                success_criteria=task["successCriteria"],
                estimated_time=m["estimatedTime"],
                icon=m["icon"],
                level=level["level"],
                practice_type=m.get("practiceType", ""),
                prerequisites=tuple(m.get("prerequisites", ())),
                unlocks_skills=tuple(m.get("unlocks_skills", ())),
            )


def _object(properties: dict) -> dict:
    # Strict structured output: every property required, nothing else allowed.
    return {"type": "object", "properties": properties, "required": list(properties), "additionalProperties": False}


_TEXT = {"type": "string", "minLength": 1}
_COUNT = {"type": "integer", "minimum": 1}

# The plan's shape as JSON Schema, for engines that can be held to it (an LLM's structured
# output). Narrower than the validator on purpose: an engine always gives practiceType and
# prerequisites (possibly empty) and never invents unlocks_skills.
PLAN_JSON_SCHEMA = _object(
    {
        "levels": {
            "type": "array",
            "minItems": 1,
            "items": _object(
                {
                    "level": _COUNT,
                    "title": _TEXT,
                    "description": _TEXT,
                    "milestones": {
                        "type": "array",
                        "minItems": 1,
                        "items": _object(
                            {
                                "id": {"type": "string", "minLength": 1, "maxLength": 100},
                                "title": _TEXT,
                                "description": _TEXT,
                                "doThisNow": _object(
                                    {"prompt": _TEXT, "reps": _COUNT, "sets": _COUNT, "successCriteria": _TEXT}
                                ),
                                "estimatedTime": _COUNT,
                                "icon": _TEXT,
                                "practiceType": {"type": "string", "enum": list(ActivityType.values)},
                                "prerequisites": {"type": "array", "items": {"type": "string"}},
                            }
                        ),
                    },
                }
            ),
        },
        "totalEstimatedTime": _COUNT,
        "difficulty": {"type": "string", "enum": list(DIFFICULTIES)},
    }
)
