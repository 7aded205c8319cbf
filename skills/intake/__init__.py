"""Adapters that turn what agents emit into usage events and hand them to `usage_events_record`.

- `otlp`: OpenTelemetry log records (OTLP/HTTP, JSON or protobuf, gzip or not), as Claude Code
  exports them: a Skill tool's `tool_result` becomes an event; an `api_request` adds its tokens
  and cost to the session (`AgentApiRequest`).
- `transcripts`: Claude Code's JSONL session transcripts, each Skill call to its result.
- The PostToolUse hook maps its payload itself (`clients/skillsite_hook.py`: it runs on the
  agent's machine with the standard library only) and posts to /api/events/.

Each adapter derives its event ids from the record (`event_uuid`), so a retry, a re-export or a
re-import stores nothing twice. The ids of each path live in their own name space: one call
seen by two paths is two events, so an agent should report through one path.

The helpers every adapter shares are in `common.py`. Import each name from its module: this
package re-exports nothing.
"""
