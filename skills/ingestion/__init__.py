"""Ingestion of usage events: everything a batch needs, behind one door.

`usage_events_record(events=..., user=...)` is the only way events enter the log: the events
API, the legacy import, the agents' intake and the roadmaps engine all call it. It validates
the decoded body (`events.parse_events`), recognises retries per user, and stores the events
(`record.py`; a COPY for batches on PostgreSQL, `copy.py`). The roll-ups are folded from the
log's queue after the recording commits or by a worker, never inside a caller's transaction
(`fold.py` says who folds and when); `metrics_as_of` says how fresh they are.

Import each name from its module (`from skills.ingestion.record import usage_events_record`):
this package re-exports nothing.
"""
