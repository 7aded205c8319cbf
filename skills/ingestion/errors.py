"""What ingestion refuses. The API's exception handler turns each into its status (400, 409, 413)."""

from __future__ import annotations


class InvalidEvents(Exception):
    """Some items are invalid; nothing was written. `errors` is [{"index": i, field: [messages]}]."""

    def __init__(self, errors: list[dict]) -> None:
        super().__init__(f"{len(errors)} invalid event(s)")
        self.errors = errors


class EventsForbidden(InvalidEvents):
    """Some items name another user and the caller may not (no ingest_for_any_user permission)."""


class EventConflict(Exception):
    """Some event ids were received before, from the same user, with another payload; nothing was written."""

    def __init__(self, conflicts: list[dict]) -> None:
        super().__init__(f"{len(conflicts)} conflicting event id(s)")
        self.conflicts = conflicts


class EventsTooLarge(Exception):
    """A batch with too many events, or events with a JSON field over its size limit; nothing was
    written. `errors` names each such field as InvalidEvents does (empty for a batch too long)."""

    def __init__(self, detail: str, errors: list[dict]) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
