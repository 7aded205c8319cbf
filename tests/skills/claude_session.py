"""A Claude Code session of our own making, as each of its four sources would report it.

One session, three prompts, three real skill uses (attribute names from Claude Code's monitoring
documentation and hooks reference):
- P1: the model runs the project skill `pdf` through the Skill tool (toolu_1): success, 1,200 ms;
- P2: the model runs `code-review` of the third-party plugin `team-tools` (toolu_2): it fails with
  "Unknown file: notes.txt" after 800 ms — a plugin's skill, not the registry's own `code-review`;
- P3: the user types `/pdf`: a slash command, no Skill tool call.
Model requests: $0.01 before P1's skill, $0.02 and $0.03 after it (P1), $0.04 (P2), $0.05 (P3).

Sources: OpenTelemetry with Claude Code's default settings (`otlp_default`: skill names are the
placeholder `custom_skill`, no tool parameters, errors only as a category), the same records with
OTEL_LOG_TOOL_DETAILS=1 (`otlp_details`), the PostToolUse hook's payloads (`hook_payloads`: Skill
calls only) and the transcript (`transcript_lines`).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

SESSION = "3e1c9a70-5b2d-4f6e-8a1b-9c0d1e2f3a4b"
PROMPTS = {
    1: "a1111111-1111-4111-8111-111111111111",
    2: "b2222222-2222-4222-8222-222222222222",
    3: "c3333333-3333-4333-8333-333333333333",
}
START = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
SESSION_COST = Decimal("0.15")
ERROR_TEXT = "Unknown file: notes.txt"


def at(seconds: float) -> datetime:
    return START + timedelta(seconds=seconds)


def _base(name: str, sequence: int, prompt: int, seconds: float) -> dict:
    return {
        "event.name": name,
        "event.timestamp": at(seconds).isoformat().replace("+00:00", "Z"),
        "event.sequence": sequence,
        "session.id": SESSION,
        "prompt.id": PROMPTS[prompt],
    }


def _request(sequence: int, prompt: int, seconds: float, cost: str) -> dict:
    return {
        **_base("api_request", sequence, prompt, seconds),
        "model": "claude-sonnet-4-5",
        "cost_usd": float(cost),
        "duration_ms": 900,
        "input_tokens": 1000,
        "output_tokens": 100,
        "cache_read_tokens": 0,
        "cache_creation_tokens": 0,
        "request_id": f"req_{sequence}",
    }


def _records(details: bool) -> list[dict]:
    def activation(sequence, prompt, seconds, name, source, trigger, plugin=None):
        record = {
            **_base("skill_activated", sequence, prompt, seconds),
            "skill.name": name if details or source == "bundled" else "custom_skill",
            "skill.source": source,
            "invocation_trigger": trigger,
        }
        if plugin and details:  # a third-party plugin is named only with tool details
            record["plugin.name"] = plugin
        return record

    def result(sequence, prompt, seconds, tool_use_id, name, success, duration, error=None):
        record = {
            **_base("tool_result", sequence, prompt, seconds),
            "tool_name": "Skill",
            "tool_use_id": tool_use_id,
            "success": "true" if success else "false",
            "duration_ms": duration,
            "decision_type": "accept",
        }
        if not success:
            record["error_type"] = "Error"
            if details:
                record["error"] = error
        if details:
            record["tool_parameters"] = json.dumps({"skill_name": name})
        return record

    return [
        _request(1, 1, 1, "0.01"),
        activation(2, 1, 2, "pdf", "projectSettings", "claude-proactive"),
        result(3, 1, 3.2, "toolu_1", "pdf", True, 1200),
        _request(4, 1, 5, "0.02"),
        _request(5, 1, 8, "0.03"),
        activation(6, 2, 20, "code-review", "plugin", "claude-proactive", plugin="team-tools"),
        result(7, 2, 20.8, "toolu_2", "team-tools:code-review", False, 800, ERROR_TEXT),
        _request(8, 2, 22, "0.04"),
        activation(9, 3, 40, "pdf", "projectSettings", "user-slash"),
        _request(10, 3, 42, "0.05"),
    ]


def otlp_default() -> list[dict]:
    return _records(details=False)


def otlp_details() -> list[dict]:
    return _records(details=True)


def hook_payloads() -> list[dict]:
    common = {"session_id": SESSION, "cwd": "/home/dev/report", "hook_event_name": "PostToolUse", "tool_name": "Skill"}
    return [
        {
            **common,
            "tool_use_id": "toolu_1",
            "tool_input": {"skill": "pdf"},
            "tool_response": {"success": True, "commandName": "pdf"},
            "timestamp": at(3.2).isoformat(),
        },
        {
            **common,
            "tool_use_id": "toolu_2",
            "tool_input": {"skill": "team-tools:code-review"},
            "tool_response": {"success": False, "error": ERROR_TEXT},
            "timestamp": at(20.8).isoformat(),
        },
    ]


def transcript_lines() -> list[dict]:
    def line(n, kind, seconds, message, **extra):
        return {
            "type": kind,
            "uuid": f"00000000-0000-4000-8000-{n:012d}",
            "sessionId": SESSION,
            "cwd": "/home/dev/report",
            "timestamp": at(seconds).isoformat().replace("+00:00", "Z"),
            "message": message,
            **extra,
        }

    def assistant(n, seconds, message_id, content, tokens):
        usage = {"input_tokens": tokens, "cache_creation_input_tokens": 0, "output_tokens": 10}
        return line(
            n,
            "assistant",
            seconds,
            {"id": message_id, "model": "claude-sonnet-4-5", "content": content, "usage": usage},
        )

    def tool_result(n, seconds, tool_use_id, text, error=False):
        block = {"type": "tool_result", "tool_use_id": tool_use_id, "content": text, "is_error": error}
        return line(n, "user", seconds, {"role": "user", "content": [block]})

    return [
        line(1, "user", 0, {"role": "user", "content": "Extract the tables from report.pdf"}),
        assistant(
            2, 2, "msg_1", [{"type": "tool_use", "id": "toolu_1", "name": "Skill", "input": {"skill": "pdf"}}], 100
        ),
        tool_result(3, 3.2, "toolu_1", "Launching skill: pdf"),
        assistant(4, 8, "msg_2", [{"type": "text", "text": "Here are the tables."}], 200),
        line(5, "user", 19, {"role": "user", "content": "Review notes.txt"}),
        assistant(
            6,
            20,
            "msg_3",
            [{"type": "tool_use", "id": "toolu_2", "name": "Skill", "input": {"skill": "team-tools:code-review"}}],
            300,
        ),
        tool_result(7, 20.8, "toolu_2", ERROR_TEXT, error=True),
        assistant(8, 22, "msg_4", [{"type": "text", "text": "The file is missing."}], 400),
        line(
            9,
            "user",
            40,
            {"role": "user", "content": "<command-name>/pdf</command-name>\n<command-args>report.pdf</command-args>"},
        ),
        assistant(10, 42, "msg_5", [{"type": "text", "text": "Done."}], 500),
    ]
