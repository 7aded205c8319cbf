"""Claude Code's PostToolUse hook payload (clients/skillsite_hook.py sends it as Claude Code gave
it, with the time it ran) as a signal of a skill use, joined with the others (join.py).

Fields read (Claude Code's hooks reference): `session_id`, `cwd`, `tool_name`, `tool_use_id`,
`tool_input` (for the Skill tool: `skill`, the name as the model called it, `plugin:name` for a
plugin's skill) and `tool_response` (a failure: `success: false`, `is_error`, or an `error`).
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.utils import timezone

from ..models import Signal
from .common import SKILL_TOOL_NAMES, skill_id_from_name
from .join import SkillSignal, known_name

SKILL_INPUT_KEYS = ("skill", "command", "skill_name", "name")
NOT_AN_OBJECT = "the hook's input must be a JSON object"
NO_TOOL_NAME = "tool_name: required (a string of at most 100 characters)"
NO_TOOL_USE_ID = "tool_use_id: required (a string of at most 255 characters)"
NO_SKILL_NAME = "tool_input.skill: the Skill call names no usable skill"
BAD_STRING = "{name}: must be a string of at most {limit} characters"
NUL_IN_ERROR = "tool_response.error: contains a NUL (\\u0000) character"


class HookPayloadError(ValueError):
    pass


def hook_signal(payload: object) -> SkillSignal | None:
    """The signal of a PostToolUse payload for the Skill tool; None for another tool;
    HookPayloadError naming the field when it cannot be one."""
    if not isinstance(payload, dict):
        raise HookPayloadError(NOT_AN_OBJECT)
    tool_name = payload.get("tool_name")
    if not isinstance(tool_name, str) or not 0 < len(tool_name) <= 100 or "\x00" in tool_name:
        raise HookPayloadError(NO_TOOL_NAME)  # every PostToolUse payload names its tool
    if tool_name not in SKILL_TOOL_NAMES:
        return None
    tool_use_id = payload.get("tool_use_id")
    if not isinstance(tool_use_id, str) or not 0 < len(tool_use_id) <= 255 or "\x00" in tool_use_id:
        raise HookPayloadError(NO_TOOL_USE_ID)
    tool_input = payload.get("tool_input") if isinstance(payload.get("tool_input"), dict) else {}
    name = next((tool_input[key] for key in SKILL_INPUT_KEYS if isinstance(tool_input.get(key), str)), "")
    name = known_name(name)
    if not name or skill_id_from_name(name) is None or "\x00" in name:
        raise HookPayloadError(NO_SKILL_NAME)
    error = _failure(payload.get("tool_response"))
    if error is not None and "\x00" in error:
        raise HookPayloadError(NUL_IN_ERROR)
    return SkillSignal(
        kind=Signal.HOOK,
        key=f"hook:{tool_use_id}",
        session_id=_string(payload, "session_id", 255),
        occurred_at=_time(payload.get("timestamp")),
        tool_use_id=tool_use_id,
        skill_name=name,
        outcome="error" if error is not None else "success",
        error_type=(error or "")[:200],
        project_path=_string(payload, "cwd", 500),
    )


def _string(payload: dict, name: str, limit: int) -> str:
    value = payload.get(name) or ""
    if not isinstance(value, str) or len(value) > limit or "\x00" in value:
        raise HookPayloadError(BAD_STRING.format(name=name, limit=limit))
    return value


def _failure(response: object) -> str | None:
    """The error text a Skill tool's response reports, if it failed."""
    if isinstance(response, dict):
        if response.get("success") is False or response.get("is_error"):
            return str(response.get("error") or response.get("message") or "skill tool error")
        if response.get("error"):
            return str(response["error"])
    return None


def _time(value: object) -> datetime:
    """When the hook ran (its own clock), within a day of now; the time of receipt otherwise."""
    now = timezone.now()
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
            moment = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
        except (ValueError, OverflowError):  # not a time, or none in UTC (year 1 at +01:00)
            return now
        if abs((now - moment).total_seconds()) < 86400:
            return moment
    return now
