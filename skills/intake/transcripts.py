"""Claude Code's JSONL session transcripts (`~/.claude/projects/<project>/<session>.jsonl`) read
for skill invocations, each recorded as a usage event.

A transcript has one JSON object a line: `type` (`user`, `assistant`, `system`, …), `uuid`,
`parentUuid`, `sessionId`, `timestamp` (ISO 8601), `cwd`, and `message` — for an assistant,
the API's message (`id`, `model`, `content` blocks, `usage`); for a user, a prompt (a string or
text blocks) or `tool_result` blocks answering a `tool_use_id`. Lines Claude Code injects
itself (`isMeta`: the loaded skill's text, for one) are not the user's turns.

One invocation is a Skill `tool_use` block (its input names the skill) followed by:
- its `tool_result` (`is_error` makes the outcome `error`);
- the assistant's turns up to the user's next turn: their tokens (input + cache creation +
  output of each message once, cache reads left out as they re-read context already counted)
  are the event's `tokens_used`, and the time from the call to that next turn (or to the
  transcript's last line) its `latency_ms`;
- `abandoned` when no result came, or no assistant turn followed it (the session stopped
  there); otherwise `success`.
Event ids derive from (session, tool_use_id): importing a transcript again stores nothing
twice. A line that is not JSON, or a call that cannot be recorded, is reported with its file
and line; the rest is imported.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from .common import SKILL_TOOL_NAMES, event_uuid, record_what_is_valid, skill_id_from_name

NOT_JSON = "not JSON: {error} (column {column})"
NOT_AN_OBJECT = "not a JSON object"
NO_TIMESTAMP = "the Skill call has no valid timestamp"
NO_SKILL = "the Skill call names no usable skill ({input})"
NOT_FOUND = "no such file or folder"
UNREADABLE = "cannot be read: {error}"
SKILL_INPUT_KEYS = ("skill", "command", "skill_name", "name")
CHUNK = 500


@dataclass(frozen=True)
class Problem:
    path: Path
    line: int | None
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}" if self.line else f"{self.path}: {self.message}"


@dataclass
class TranscriptReport:
    files: int = 0
    invocations: int = 0
    created: int = 0
    duplicates: int = 0
    problems: list[Problem] = field(default_factory=list)


@dataclass
class _Call:
    line: int
    tool_use_id: str
    skill_id: str
    session_id: str
    started: datetime
    cwd: str
    model: str
    result_error: bool | None = None  # None: no result seen
    turns_after_result: int = 0
    message_ids: set[str] = field(default_factory=set)
    tokens: int = 0
    ended: datetime | None = None


def _time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def _blocks(entry: dict) -> list[dict]:
    content = (entry.get("message") or {}).get("content")
    return [block for block in content if isinstance(block, dict)] if isinstance(content, list) else []


def _is_user_turn(entry: dict) -> bool:
    """A prompt the user typed: not a tool result, not a line Claude Code injected."""
    if entry.get("type") != "user" or entry.get("isMeta"):
        return False
    content = (entry.get("message") or {}).get("content")
    return isinstance(content, str) or any(block.get("type") == "text" for block in _blocks(entry))


def _new_tokens(usage: dict) -> int:
    return sum(int(usage.get(key) or 0) for key in ("input_tokens", "cache_creation_input_tokens", "output_tokens"))


def _entries(path: Path, problems: list[Problem]) -> list[tuple[int, dict]]:
    entries = []
    with path.open(encoding="utf-8", errors="replace") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
            except json.JSONDecodeError as error:
                problems.append(Problem(path, number, NOT_JSON.format(error=error.msg, column=error.colno)))
                continue
            if not isinstance(entry, dict):
                problems.append(Problem(path, number, NOT_AN_OBJECT))
                continue
            entries.append((number, entry))
    return entries


def _open_call(path: Path, number: int, entry: dict, block: dict, problems: list[Problem]) -> _Call | None:
    tool_input = block.get("input") if isinstance(block.get("input"), dict) else {}
    name = next((tool_input[key] for key in SKILL_INPUT_KEYS if tool_input.get(key)), None)
    skill_id = skill_id_from_name(name)
    started = _time(entry.get("timestamp"))
    if skill_id is None:
        problems.append(Problem(path, number, NO_SKILL.format(input=json.dumps(tool_input)[:200])))
        return None
    if started is None:
        problems.append(Problem(path, number, NO_TIMESTAMP))
        return None
    return _Call(
        line=number,
        tool_use_id=str(block.get("id") or f"line-{number}"),
        skill_id=skill_id,
        session_id=str(entry.get("sessionId") or path.stem)[:255],
        started=started,
        cwd=str(entry.get("cwd") or "")[:500],
        model=str((entry.get("message") or {}).get("model") or ""),
        message_ids={(entry.get("message") or {}).get("id")},  # the calling turn's tokens are not the skill's
    )


def transcript_calls(path: Path, problems: list[Problem]) -> list[_Call]:
    """The Skill calls of one transcript, each with its result, tokens and time to the next turn."""
    calls: list[_Call] = []
    by_tool_use: dict[str, _Call] = {}
    waiting: list[_Call] = []  # calls whose user's next turn has not come yet
    last_time = None
    for number, entry in _entries(path, problems):
        moment = _time(entry.get("timestamp"))
        last_time = moment or last_time
        if _is_user_turn(entry):
            for call in waiting:
                call.ended = moment
            waiting = []
        elif entry.get("type") == "user":
            for block in _blocks(entry):
                call = by_tool_use.get(str(block.get("tool_use_id")))
                if block.get("type") == "tool_result" and call is not None and call.result_error is None:
                    call.result_error = bool(block.get("is_error"))
        elif entry.get("type") == "assistant":
            message = entry.get("message") or {}
            for call in waiting:
                if message.get("id") not in call.message_ids:  # a message may span several lines
                    call.message_ids.add(message.get("id"))
                    call.tokens += _new_tokens(message.get("usage") or {})
                call.turns_after_result += call.result_error is not None
            for block in _blocks(entry):
                if block.get("type") == "tool_use" and block.get("name") in SKILL_TOOL_NAMES:
                    call = _open_call(path, number, entry, block, problems)
                    if call is not None:
                        calls.append(call)
                        by_tool_use[call.tool_use_id] = call
                        waiting.append(call)
    for call in waiting:
        call.ended = last_time
    return calls


def _event(call: _Call) -> dict:
    if call.result_error is None or (not call.result_error and not call.turns_after_result):
        outcome = "abandoned"
    else:
        outcome = "error" if call.result_error else "success"
    ended = call.ended or call.started
    return {
        "event_id": str(event_uuid("transcript", call.session_id, call.tool_use_id)),
        "skill_id": call.skill_id,
        "outcome": outcome,
        "session_id": call.session_id,
        "latency_ms": max(0, round((ended - call.started).total_seconds() * 1000)),
        "error_type": "skill_tool_error" if outcome == "error" else "",
        "tokens_used": min(call.tokens, 2**31 - 1),
        "occurred_at": call.started.isoformat(),
        "project_path": call.cwd,
        "artifacts": {"intake": "transcript", "tool_use_id": call.tool_use_id, "model": call.model},
    }


def transcript_files(paths: Iterable[Path], problems: list[Problem]) -> list[Path]:
    """Each path a transcript, or a folder searched for them (such as ~/.claude/projects/)."""
    found: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            found += sorted(p for p in path.rglob("*.jsonl") if p.is_file())
        elif path.is_file():
            found.append(path)
        else:
            problems.append(Problem(path, None, NOT_FOUND))
    return found


def claude_transcripts_import(*, paths: Iterable[Path], user=None) -> TranscriptReport:
    """Records every Skill call of the transcripts; safe to run again (nothing is stored twice)."""
    report = TranscriptReport()
    for path in transcript_files(paths, report.problems):
        report.files += 1
        try:
            calls = transcript_calls(path, report.problems)
        except OSError as error:
            report.problems.append(Problem(path, None, UNREADABLE.format(error=error.strerror or error)))
            continue
        report.invocations += len(calls)
        for start in range(0, len(calls), CHUNK):
            chunk = calls[start : start + CHUNK]
            recorded = record_what_is_valid([_event(call) for call in chunk], user=user)
            report.created += recorded.created
            report.duplicates += recorded.duplicates
            report.problems += [Problem(path, chunk[i].line, why) for i, why in sorted(recorded.rejected.items())]
    return report
