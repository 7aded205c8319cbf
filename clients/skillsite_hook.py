#!/usr/bin/env python3
"""Claude Code PostToolUse hook: forwards each Skill call to skillsite (standard library only).

Claude Code runs it after a tool call with the call as JSON on standard input (`session_id`,
`transcript_path`, `cwd`, `hook_event_name`, `tool_name`, `tool_input`, `tool_response`,
`tool_use_id`). For the Skill tool it posts the payload, with the time it ran, to
<SKILLSITE_URL>/api/agent-hook/ with the key in SKILLSITE_TOKEN (an `ingest` key). The server
joins it with the same call's OpenTelemetry records and transcript line on `tool_use_id` into
one usage event, and recognises a payload it received before.

It never blocks the agent for long and never loses a call: all posting shares one budget of
BUDGET_SECONDS (~1 s); when the server is down, slow or answers 5xx / 429, the payload is
kept in a spool folder (SKILLSITE_SPOOL, default ~/.cache/skillsite/hook-spool/) and sent
by the next run that reaches the server, or by `skillsite_hook.py --flush`. A payload the server
refuses (4xx) is reported on stderr and dropped: sending it again would not help. Whatever
happens it exits 0.
"""

from __future__ import annotations

import json
import os
import sys
import time
import urllib.error
import urllib.request
import uuid
from datetime import UTC, datetime
from pathlib import Path

# The same name space as skills.intake.INTAKE_NAMESPACE (a test holds them equal).
INTAKE_NAMESPACE = uuid.UUID("6f0b6a52-4a0e-5b8e-9a57-3c1d7f3e2b10")
SKILL_TOOL_NAMES = {"Skill"}
BUDGET_SECONDS = 1.0
FLUSH_TIMEOUT_SECONDS = 10.0
SPOOL_MAX_LINES = 10_000  # payloads kept at most (the oldest go first)
KEPT_FIELDS = ("session_id", "cwd", "hook_event_name", "tool_name", "tool_input", "tool_response", "tool_use_id")


def event_uuid(*parts: object) -> uuid.UUID:
    return uuid.uuid5(INTAKE_NAMESPACE, "\x1f".join(str(part) for part in parts))


def spool_path(environ) -> Path:
    default = Path(environ.get("HOME") or Path.home()) / ".cache" / "skillsite" / "hook-spool"
    return Path(environ.get("SKILLSITE_SPOOL") or default)


def forwarded(payload: dict) -> dict | None:
    """What is sent for a PostToolUse payload of the Skill tool (None for another tool): its
    fields the server reads, a long tool response cut, and the time of the call's end."""
    if payload.get("tool_name") not in SKILL_TOOL_NAMES:
        return None
    kept = {name: payload[name] for name in KEPT_FIELDS if name in payload}
    response = kept.get("tool_response")
    if isinstance(response, dict):
        kept["tool_response"] = {k: response[k] for k in ("success", "is_error", "error", "message") if k in response}
    elif response is not None:
        kept["tool_response"] = str(response)[:2000]
    kept["timestamp"] = datetime.now(UTC).isoformat()
    return kept


class Retry(Exception):
    """The server could not take it now: keep it for later."""


def post(payload: dict, *, url: str, token: str, timeout: float) -> None:
    request = urllib.request.Request(
        url.rstrip("/") + "/api/agent-hook/",
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Token {token}"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=max(timeout, 0.05)) as response:
            response.read()
    except urllib.error.HTTPError as error:
        if error.code >= 500 or error.code == 429:
            raise Retry(f"{error.code} from {url}") from error
        detail = error.read().decode(errors="replace")[:300]
        print(f"skillsite hook: {error.code} {detail} (dropped)", file=sys.stderr)
    except (urllib.error.URLError, OSError) as error:  # refused, unreachable, timed out
        raise Retry(f"cannot reach {url} ({error})") from error


def spooled(spool: Path) -> list[Path]:
    return sorted(spool.glob("*.json")) if spool.is_dir() else []


def keep(payload: dict, spool: Path) -> None:
    """One file a payload, written whole (a temporary name, then renamed): runs of the hook in
    parallel never lose or mix each other's payloads, and need no lock."""
    spool.mkdir(parents=True, exist_ok=True)
    name = f"{time.time_ns():020d}-{event_uuid(payload.get('session_id'), payload.get('tool_use_id'))}.json"
    temporary = spool / f".{name}.tmp"
    temporary.write_text(json.dumps(payload), encoding="utf-8")
    temporary.replace(spool / name)
    for old in spooled(spool)[:-SPOOL_MAX_LINES]:
        old.unlink(missing_ok=True)


def deliver(new: dict | None, *, url: str, token: str, spool: Path, deadline: float | None) -> int:
    """Sends `new`, then the spooled payloads, oldest first, while the server takes them and time
    is left; keeps in the spool whatever did not go. Returns how many are left there. A payload
    sent twice (two runs flushing at once) is recognised by the server."""

    def remaining() -> float:
        return FLUSH_TIMEOUT_SECONDS if deadline is None else deadline - time.monotonic()

    if new is not None:
        try:
            post(new, url=url, token=token, timeout=remaining())
        except Retry as error:
            print(f"skillsite hook: {error}; kept in {spool}", file=sys.stderr)
            keep(new, spool)
            return len(spooled(spool))
    for path in spooled(spool):
        if remaining() <= 0:
            break
        try:
            payload = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            continue  # another run sent it
        except ValueError:
            path.unlink(missing_ok=True)  # a damaged file cannot be sent
            continue
        try:
            post(payload, url=url, token=token, timeout=remaining())
        except Retry as error:
            print(f"skillsite hook: {error}; the spool is kept", file=sys.stderr)
            break
        path.unlink(missing_ok=True)
    return len(spooled(spool))


def main(stdin=sys.stdin, environ=os.environ, argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    started = time.monotonic()
    url, token = environ.get("SKILLSITE_URL"), environ.get("SKILLSITE_TOKEN")
    if not url or not token:
        print("skillsite hook: set SKILLSITE_URL and SKILLSITE_TOKEN", file=sys.stderr)
        return 0
    if argv == ["--flush"]:
        left = deliver(None, url=url, token=token, spool=spool_path(environ), deadline=None)
        print(f"skillsite hook: {left} payload(s) left in the spool", file=sys.stderr)
        return 0
    try:
        payload = json.load(stdin)
    except ValueError as error:
        print(f"skillsite hook: the hook input is not JSON ({error})", file=sys.stderr)
        return 0
    new = forwarded(payload) if isinstance(payload, dict) else None
    if new is None:
        return 0
    try:
        deliver(new, url=url, token=token, spool=spool_path(environ), deadline=started + BUDGET_SECONDS)
    except (OSError, ValueError) as error:  # an unwritable or damaged spool: say so, never block
        print(f"skillsite hook: the spool cannot be used ({error})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
