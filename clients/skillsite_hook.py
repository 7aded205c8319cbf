#!/usr/bin/env python3
"""Claude Code PostToolUse hook: records each Skill call in skillsite (standard library only).

Claude Code runs it after a tool call with the call as JSON on standard input (`session_id`,
`transcript_path`, `cwd`, `hook_event_name`, `tool_name`, `tool_input`, `tool_response`,
`tool_use_id`). For the Skill tool it posts one usage event to <SKILLSITE_URL>/api/events/ with
an `ingest` API key in SKILLSITE_TOKEN. The event id derives from (session, tool_use_id), so a hook
that fires twice for one call stores it once; the event carries no time of its own (the server
stamps its receipt, right after the call), so a repeat is the same payload.

It never blocks the agent: whatever happens it exits 0, saying what went wrong on stderr.
"""

from __future__ import annotations

import json
import os
import sys
import urllib.error
import urllib.request
import uuid

# The same name space as skills.intake.INTAKE_NAMESPACE (a test holds them equal).
INTAKE_NAMESPACE = uuid.UUID("6f0b6a52-4a0e-5b8e-9a57-3c1d7f3e2b10")
SKILL_TOOL_NAMES = {"Skill"}
SKILL_INPUT_KEYS = ("skill", "command", "skill_name", "name")
TIMEOUT_SECONDS = 5


def event_uuid(*parts: object) -> uuid.UUID:
    return uuid.uuid5(INTAKE_NAMESPACE, "\x1f".join(str(part) for part in parts))


def _failed(response) -> str | None:
    """The error a Skill tool response reports, if any."""
    if isinstance(response, dict):
        if response.get("success") is False or response.get("is_error"):
            return str(response.get("error") or "skill_tool_error")
        if response.get("error"):
            return str(response["error"])
    return None


def event_from_hook(payload: dict) -> dict | None:
    """The usage event of a PostToolUse payload for the Skill tool; None for any other tool."""
    if payload.get("tool_name") not in SKILL_TOOL_NAMES:
        return None
    tool_input = payload.get("tool_input") if isinstance(payload.get("tool_input"), dict) else {}
    name = next((str(tool_input[key]) for key in SKILL_INPUT_KEYS if tool_input.get(key)), "")
    skill_id = name.strip().rsplit(":", 1)[-1].strip().lstrip("/")  # a plugin's skill: plugin:skill
    if not skill_id:
        return None
    session_id = str(payload.get("session_id") or "")[:255]
    tool_use_id = payload.get("tool_use_id") or json.dumps(payload, sort_keys=True)
    error = _failed(payload.get("tool_response"))
    event = {
        "event_id": str(event_uuid("hook", session_id, tool_use_id)),
        "skill_id": skill_id,
        "outcome": "error" if error else "success",
        "session_id": session_id,
        "error_type": (error or "")[:200],
        "project_path": str(payload.get("cwd") or "")[:500],
        "artifacts": {"intake": "hook", "tool_use_id": payload.get("tool_use_id") or ""},
    }
    if isinstance(payload.get("duration_ms"), int) and payload["duration_ms"] >= 0:
        event["latency_ms"] = payload["duration_ms"]
    return event


def post(event: dict, *, url: str, token: str) -> int:
    request = urllib.request.Request(
        url.rstrip("/") + "/api/events/",
        data=json.dumps(event).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Token {token}"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
        return response.status


def main(stdin=sys.stdin, environ=os.environ) -> int:
    try:
        payload = json.load(stdin)
    except ValueError as error:
        print(f"skillsite hook: the hook input is not JSON ({error})", file=sys.stderr)
        return 0
    event = event_from_hook(payload) if isinstance(payload, dict) else None
    if event is None:
        return 0
    url, token = environ.get("SKILLSITE_URL"), environ.get("SKILLSITE_TOKEN")
    if not url or not token:
        print("skillsite hook: set SKILLSITE_URL and SKILLSITE_TOKEN", file=sys.stderr)
        return 0
    try:
        post(event, url=url, token=token)
    except urllib.error.HTTPError as error:
        print(f"skillsite hook: {error.code} {error.read().decode(errors='replace')[:500]}", file=sys.stderr)
    except (urllib.error.URLError, OSError) as error:
        print(f"skillsite hook: cannot reach {url} ({error})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
