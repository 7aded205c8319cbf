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
TOO_LARGE = "must be at most {limit}"
TOO_LONG = "must be at most {limit} characters (it has {length})"
TOO_MANY = "must have at most {limit} items (it has {count})"
TOO_BIG = "must be at most {limit} bytes as JSON (it is {size})"
UNKNOWN_KEY = "is not a key of a plan here; allowed: {keys}"
SKILL_ID_PATTERN = r"^[-a-zA-Z0-9_]{1,100}$"
_SKILL_ID = re.compile(SKILL_ID_PATTERN.replace("$", "\\Z"))

# The bounds of a plan (issue 24: a plan of 4,000 milestones took 17 s to create and timed its
# page out; numbers of 2**80 were stored). The catalog's largest plans use a fraction of each:
# 3 levels, 5 milestones a level, 50 reps, 45 sets, 3,000 minutes, 8 KB.
PLAN_MAX_LEVELS = 12
LEVEL_MAX_MILESTONES = 20
MILESTONE_MAX_PREREQUISITES = 20
MILESTONE_MAX_SKILLS = 10
REPS_MAX = 1_000
SETS_MAX = 100
MINUTES_MAX = 10_000  # a milestone's estimatedTime
TOTAL_MINUTES_MAX = PLAN_MAX_LEVELS * LEVEL_MAX_MILESTONES * MINUTES_MAX
PLAN_MAX_BYTES = 256 * 1024
ID_MAX_LENGTH = 100
TEXT_MAX_LENGTHS = {"title": 200, "description": 2_000, "icon": 50, "prompt": 2_000, "successCriteria": 1_000}
# The keys each object of a plan may have (anything else is refused, so nothing unbounded rides along).
PLAN_KEYS = ("levels", "totalEstimatedTime", "difficulty")
LEVEL_KEYS = ("level", "title", "description", "milestones")
MILESTONE_KEYS = ("id", "title", "description", "doThisNow", "estimatedTime", "icon", "practiceType",
                  "prerequisites", "unlocks_skills")  # fmt: skip
TASK_KEYS = ("prompt", "reps", "sets", "successCriteria")


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
    limit = TEXT_MAX_LENGTHS[path.rsplit(".", 1)[-1]]
    if not isinstance(value, str) or not value.strip():
        errors[path] = MUST_BE_TEXT
    elif len(value) > limit:
        errors[path] = TOO_LONG.format(limit=limit, length=len(value))


def _count(errors: dict, path: str, value, limit: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        errors[path] = MUST_BE_COUNT
    elif value > limit:
        errors[path] = TOO_LARGE.format(limit=limit)


def _known_keys(errors: dict, path: str, value: dict, keys: tuple[str, ...]) -> None:
    for key in value:
        if key not in keys:
            errors[f"{path}.{key}" if path else str(key)] = UNKNOWN_KEY.format(keys=", ".join(keys))


def _not_too_many(errors: dict, path: str, items: list, limit: int) -> bool:
    if len(items) > limit:
        errors[path] = TOO_MANY.format(limit=limit, count=len(items))
        return False
    return True


def _check_milestone(errors: dict, path: str, milestone, seen: set) -> None:
    if not isinstance(milestone, dict):
        errors[path] = MUST_BE_OBJECT
        return
    _known_keys(errors, path, milestone, MILESTONE_KEYS)
    for key in ("title", "description", "icon"):
        _text(errors, f"{path}.{key}", milestone.get(key))
    milestone_id = milestone.get("id")
    if not isinstance(milestone_id, str) or not milestone_id.strip():
        errors[f"{path}.id"] = MUST_BE_TEXT
    elif milestone_id in seen:
        errors[f"{path}.id"] = DUPLICATE_ID.format(id=milestone_id)
    elif len(milestone_id) > ID_MAX_LENGTH:
        errors[f"{path}.id"] = TOO_LONG.format(limit=ID_MAX_LENGTH, length=len(milestone_id))
    if isinstance(milestone_id, str):
        seen.add(milestone_id)
    _count(errors, f"{path}.estimatedTime", milestone.get("estimatedTime"), MINUTES_MAX)
    if "practiceType" in milestone and milestone["practiceType"] not in ActivityType.values:
        errors[f"{path}.practiceType"] = BAD_PRACTICE_TYPE.format(choices=", ".join(ActivityType.values))
    _check_skill_ids(errors, f"{path}.unlocks_skills", milestone.get("unlocks_skills", []))
    task = milestone.get("doThisNow")
    if not isinstance(task, dict):
        errors[f"{path}.doThisNow"] = MUST_BE_OBJECT
        return
    _known_keys(errors, f"{path}.doThisNow", task, TASK_KEYS)
    _text(errors, f"{path}.doThisNow.prompt", task.get("prompt"))
    _count(errors, f"{path}.doThisNow.reps", task.get("reps"), REPS_MAX)
    _count(errors, f"{path}.doThisNow.sets", task.get("sets"), SETS_MAX)
    _text(errors, f"{path}.doThisNow.successCriteria", task.get("successCriteria"))


def _is_short_list(errors: dict, path: str, value, not_a_list: str, limit: int) -> bool:
    """Whether `value` is a list of at most `limit` items; when it is not, the error under `path`."""
    if not isinstance(value, list):
        errors[path] = not_a_list
        return False
    return _not_too_many(errors, path, value, limit)


def _check_skill_ids(errors: dict, path: str, skill_ids) -> None:
    if not _is_short_list(errors, path, skill_ids, MUST_BE_SKILL_LIST, MILESTONE_MAX_SKILLS):
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
        if not _is_short_list(errors, path, required, MUST_BE_ID_LIST, MILESTONE_MAX_PREREQUISITES):
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
    serialized = json.dumps(data)
    if "\\u0000" in serialized:
        return {"deconstruction_data": NUL_CHARACTER}
    if len(serialized) > PLAN_MAX_BYTES:
        return {"deconstruction_data": TOO_BIG.format(limit=PLAN_MAX_BYTES, size=len(serialized))}
    errors: dict[str, str] = {}
    levels = data.get("levels")
    if not isinstance(levels, list) or not levels:
        return {"levels": MUST_BE_LIST}
    if not _not_too_many(errors, "levels", levels, PLAN_MAX_LEVELS):
        return errors
    _known_keys(errors, "", data, PLAN_KEYS)
    seen: set[str] = set()
    bounded = True  # every level's milestones within LEVEL_MAX_MILESTONES: worth checking prerequisites
    for i, level in enumerate(levels):
        path = f"levels[{i}]"
        if not isinstance(level, dict):
            errors[path] = MUST_BE_OBJECT
            continue
        _known_keys(errors, path, level, LEVEL_KEYS)
        number = level.get("level")
        if not isinstance(number, int) or isinstance(number, bool) or number != i + 1:
            errors[f"{path}.level"] = LEVELS_OUT_OF_ORDER
        _text(errors, f"{path}.title", level.get("title"))
        _text(errors, f"{path}.description", level.get("description"))
        milestones = level.get("milestones")
        if not isinstance(milestones, list) or not milestones:
            errors[f"{path}.milestones"] = MUST_BE_LIST
            continue
        if not _not_too_many(errors, f"{path}.milestones", milestones, LEVEL_MAX_MILESTONES):
            bounded = False
            continue
        for j, milestone in enumerate(milestones):
            _check_milestone(errors, f"{path}.milestones[{j}]", milestone, seen)
    if data.get("difficulty") not in DIFFICULTIES:
        errors["difficulty"] = BAD_DIFFICULTY
    _count(errors, "totalEstimatedTime", data.get("totalEstimatedTime"), TOTAL_MINUTES_MAX)
    if bounded:
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


def unlocks_by_path(data: dict) -> dict[str, list[str]]:
    """{JSON path of a milestone's unlocks_skills: its skill ids}, for the milestones of a valid
    plan that name any."""
    return {
        f"levels[{i}].milestones[{j}].unlocks_skills": list(m["unlocks_skills"])
        for i, level in enumerate(data["levels"])
        for j, m in enumerate(level["milestones"])
        if m.get("unlocks_skills")
    }


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
