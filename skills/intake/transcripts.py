"""Claude Code's JSONL session transcripts (`~/.claude/projects/<project>/<session>.jsonl`) read
for skill invocations, each recorded as a usage event.

A transcript has one JSON object a line: `type` (`user`, `assistant`, `system`, …), `uuid`,
`parentUuid`, `sessionId`, `timestamp` (ISO 8601), `cwd`, and `message` — for an assistant,
the API's message (`id`, `model`, `content` blocks, `usage`); for a user, a prompt (a string or
text blocks) or `tool_result` blocks answering a `tool_use_id`. Lines Claude Code injects
itself (`isMeta`: the loaded skill's text, for one) are not the user's turns.

One invocation is a Skill `tool_use` block (its input names the skill) followed by:
- its `tool_result`: `is_error` makes the outcome `error`, and its text is the error kept; the
  time from the call to the result is the call's `latency_ms`;
- the assistant's turns up to the user's next turn: their tokens (input + cache creation +
  output of each message once, cache reads left out as they re-read context already counted)
  are the event's `tokens_used`;
- `abandoned` when no result came, or no assistant turn followed it (the session stopped
  there); otherwise `success`.
A slash command the user typed (`<command-name>/pdf</command-name>` in a prompt) is a use too,
triggered `user-slash`, unless it is one of Claude Code's built-in commands (BUILT_IN_COMMANDS).
Each call and command is a signal joined with the same use's OpenTelemetry records and hook post
(skills/intake/join.py): on `tool_use_id`, or for a command its skill_activated of the same
session and name. Importing a transcript again stores nothing twice. The session's model usage
(each assistant message's tokens once) is kept as the session's requests when no OpenTelemetry
`api_request` of the session was received, so the session's cost is known. A line that is not
JSON, or a call that cannot be recorded, is reported with its file and line; the rest is imported.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from ..models import Signal
from .common import SKILL_TOOL_NAMES, skill_id_from_name
from .join import USER_SLASH, SkillSignal, known_name, skill_signals_take_in
from .transcript_usage import transcript_requests, transcript_requests_store

NOT_JSON = "not JSON: {error} (column {column})"
NOT_AN_OBJECT = "not a JSON object"
NO_TIMESTAMP = "the Skill call has no valid timestamp"
NO_SKILL = "the Skill call names no usable skill ({input})"
NOT_FOUND = "no such file or folder"
UNREADABLE = "cannot be read: {error}"
SKILL_INPUT_KEYS = ("skill", "command", "skill_name", "name")
CHUNK = 500
# Claude Code's own commands, not skills (a `<command-name>` of one of them is not a skill use).
BUILT_IN_COMMANDS = frozenset(
    "add-dir agents bashes bug clear compact config context cost doctor exit export help hooks ide init "
    "install-github-app login logout mcp memory model output-style permissions plugin pr-comments "
    "privacy-settings release-notes resume review rewind security-review status statusline "
    "terminal-setup todos upgrade usage vim".split()
)


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
    requests: int = 0  # model requests kept for sessions OpenTelemetry sent none of
    problems: list[Problem] = field(default_factory=list)


@dataclass
class _Call:
    line: int
    tool_use_id: str
    skill_name: str
    session_id: str
    started: datetime
    cwd: str
    model: str
    result_error: bool | None = None  # None: no result seen
    error_text: str = ""
    turns_after_result: int = 0
    message_ids: set[str] = field(default_factory=set)
    tokens: int = 0
    ended: datetime | None = None  # its tool result's time
    command_key: str = ""  # a slash command's line: its own key (it has no tool_use_id)


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
    if skill_id is None or not known_name(name):
        problems.append(Problem(path, number, NO_SKILL.format(input=json.dumps(tool_input)[:200])))
        return None
    if started is None:
        problems.append(Problem(path, number, NO_TIMESTAMP))
        return None
    return _Call(
        line=number,
        tool_use_id=str(block.get("id") or f"line-{number}"),
        skill_name=known_name(name),
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
            waiting = []
            command = _slash_command(path, number, entry)
            if command is not None:
                calls.append(command)
        elif entry.get("type") == "user":
            for block in _blocks(entry):
                call = by_tool_use.get(str(block.get("tool_use_id")))
                if block.get("type") == "tool_result" and call is not None and call.result_error is None:
                    call.result_error = bool(block.get("is_error"))
                    call.error_text = _text(block.get("content")) if call.result_error else ""
                    call.ended = moment
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
    return calls


_COMMAND_NAME = re.compile(r"<command-name>\s*/?([^<\s]+)\s*</command-name>")


def _text(content: object) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(str(b.get("text") or "") for b in content if isinstance(b, dict)).strip()
    return ""


def _slash_command(path: Path, number: int, entry: dict) -> _Call | None:
    """A skill the user ran by typing its slash command; None for any other prompt."""
    content = (entry.get("message") or {}).get("content")
    match = _COMMAND_NAME.search(_text(content) if not isinstance(content, str) else content)
    started = _time(entry.get("timestamp"))
    if match is None or started is None or match.group(1) in BUILT_IN_COMMANDS:
        return None
    name = known_name(match.group(1))
    if not name or skill_id_from_name(name) is None:
        return None
    return _Call(
        line=number,
        tool_use_id="",
        skill_name=name,
        session_id=str(entry.get("sessionId") or path.stem)[:255],
        started=started,
        cwd=str(entry.get("cwd") or "")[:500],
        model="",
        result_error=False,
        turns_after_result=1,
        ended=started,
        command_key=str(entry.get("uuid") or f"{path.name}:{number}"),
    )


def _signal(call: _Call) -> SkillSignal:
    if call.command_key:
        return _signal_of(call, call.command_key, invocation_trigger=USER_SLASH, outcome="success")
    if call.result_error is None or (not call.result_error and not call.turns_after_result):
        outcome = "abandoned"
    else:
        outcome = "error" if call.result_error else "success"
    latency = None if call.ended is None else max(0, round((call.ended - call.started).total_seconds() * 1000))
    return _signal_of(
        call,
        call.tool_use_id,
        tool_use_id=call.tool_use_id,
        outcome=outcome,
        latency_ms=latency,
        error_type=(call.error_text or "skill tool error")[:200] if outcome == "error" else "",
        tokens_used=min(call.tokens, 2**31 - 1),
    )


def _signal_of(call: _Call, key: str, **fields) -> SkillSignal:
    """A signal of the transcript's call `key` (its slash command or tool use): the call's session,
    time, skill and folder, and `fields`."""
    return SkillSignal(
        kind=Signal.TRANSCRIPT,
        key=f"transcript:{key}",
        session_id=call.session_id,
        occurred_at=call.started,
        skill_name=call.skill_name,
        project_path=call.cwd,
        **fields,
    )


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
        report.requests += transcript_requests_store(transcript_requests(path, user), user)
        for start in range(0, len(calls), CHUNK):
            chunk = calls[start : start + CHUNK]
            # A transcript is written after the fact: nothing more will come for its uses.
            joined = skill_signals_take_in([_signal(call) for call in chunk], user=user, final=True)
            report.created += joined.created + joined.held
            report.duplicates += joined.late
            report.problems += [Problem(path, None, why) for why in joined.rejected]
    return report
