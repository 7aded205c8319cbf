"""OTLP log records as Claude Code exports them (names from its monitoring documentation)."""

from __future__ import annotations

import json

SESSION = "5d4f0a52-1c7e-4d1b-9a8e-2f3b4c5d6e7f"


def skill_result(skill: str, *, sequence: int, success: bool = True, duration_ms: int = 840, **extra) -> dict:
    return {
        "event.name": "tool_result",
        "event.timestamp": "2026-11-20T10:00:00.000Z",
        "event.sequence": sequence,
        "session.id": SESSION,
        "prompt.id": "0b8e0f0e-8d3f-4f3a-8c61-1f0e8b2f7a11",
        "tool_name": "Skill",
        "success": "true" if success else "false",
        "duration_ms": duration_ms,
        "tool_use_id": f"toolu_{sequence:04}",
        "tool_parameters": json.dumps({"skill_name": skill}),
        **({} if success else {"error": "Skill failed to load"}),
        **extra,
    }


def activation(skill: str, *, sequence: int, trigger: str = "claude-proactive", **extra) -> dict:
    """`skill_activated`, as Claude Code sends it with OTEL_LOG_TOOL_DETAILS=1, just before the
    Skill tool's result (`sequence` + 1)."""
    return {
        "event.name": "skill_activated",
        "event.timestamp": "2026-11-20T10:00:00.000Z",
        "event.sequence": sequence,
        "session.id": SESSION,
        "prompt.id": "0b8e0f0e-8d3f-4f3a-8c61-1f0e8b2f7a11",
        "skill.name": skill,
        "skill.source": "projectSettings",
        "invocation_trigger": trigger,
        **extra,
    }


def api_request(*, sequence: int, cost_usd: float = 0.0123, input_tokens: int = 1200) -> dict:
    return {
        "event.name": "api_request",
        "event.timestamp": "2026-11-20T10:00:01.000Z",
        "event.sequence": sequence,
        "session.id": SESSION,
        "model": "claude-sonnet-4-5",
        "cost_usd": cost_usd,
        "duration_ms": 2100,
        "input_tokens": input_tokens,
        "output_tokens": 300,
        "cache_read_tokens": 5000,
        "cache_creation_tokens": 0,
    }


def api_error(*, sequence: int, status_code: str = "529", error: str = "Overloaded", attempt: int = 2) -> dict:
    """A model request that failed, as Claude Code reports it (`status_code` "undefined" without a response)."""
    return {
        "event.name": "api_error",
        "event.timestamp": "2026-11-20T10:00:02.000Z",
        "event.sequence": sequence,
        "session.id": SESSION,
        "model": "claude-sonnet-4-5",
        "error": error,
        "status_code": status_code,
        "duration_ms": 30100,
        "attempt": attempt,
    }


def other_tool(*, sequence: int) -> dict:
    return {**skill_result("x", sequence=sequence), "tool_name": "Bash", "tool_parameters": "{}"}


def _any_value(value) -> dict:
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int):
        return {"intValue": str(value)}  # OTLP/JSON writes 64-bit integers as strings
    if isinstance(value, float):
        return {"doubleValue": value}
    return {"stringValue": value}


def otlp_json(records: list[dict], *, time_unix_nano: str = "1795082400000000000") -> dict:
    """An ExportLogsServiceRequest in OTLP/JSON: camelCase, hex trace ids, integers as strings."""
    return {
        "resourceLogs": [
            {
                "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "claude-code"}}]},
                "scopeLogs": [
                    {
                        "scope": {"name": "com.anthropic.claude_code.events", "version": "2.1.0"},
                        "logRecords": [
                            {
                                "timeUnixNano": time_unix_nano,
                                "observedTimeUnixNano": time_unix_nano,
                                "body": {"stringValue": f"claude_code.{attributes['event.name']}"},
                                "attributes": [{"key": k, "value": _any_value(v)} for k, v in attributes.items()],
                                "traceId": "5b8efff798038103d269b633813fc60c",
                                "spanId": "eee19b7ec3c1b174",
                                "unknownFieldFromANewerOtlp": 1,
                            }
                            for attributes in records
                        ],
                    }
                ],
            }
        ]
    }
