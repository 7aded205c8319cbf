"""Ingestion benchmark (PostgreSQL): raw COPY vs the batch API vs the single-event API.

    .venv/bin/python bench/ingest.py [--events 200000] [--single-events 200000] [--batch-size 500]

Loads the same generated events three ways into an empty log, each timed:
  1. COPY into a scratch table created LIKE skills_usageevent INCLUDING ALL (same
     columns, constraints and indexes): the floor, with no validation and no metrics;
  2. POST /api/events/ with batches through Django's whole request handling (test
     client: middleware, auth, DRF, validation), metrics kept current in the same
     transactions;
  3. POST /api/events/ one event a request.
Prints events/s for each and the ratio to COPY. Uses BENCH_DATABASE_URL (default: a
`skillsite_bench` database on the local server, created if missing).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import print_table, setup_django, timed, truncate_telemetry  # noqa: E402

BASE = datetime(2026, 10, 1, tzinfo=UTC)
OUTCOMES = ["success"] * 7 + ["failure", "error", "abandoned"]
PATHS = ["plan/execute", "plan/review/execute", "quick", "search/read/answer", "load/parse/extract"]


def generate(n: int, seed: int = 7) -> list[dict]:
    rng = random.Random(seed)
    events = []
    for i in range(n):
        outcome = rng.choice(OUTCOMES)
        events.append(
            {
                "event_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "skill_id": f"bench-skill-{rng.randrange(50)}",
                "outcome": outcome,
                "session_id": f"bench-session-{rng.randrange(n // 10 + 1)}",
                "latency_ms": int(rng.lognormvariate(6, 1)),
                "error_type": rng.choice(["Timeout", "RateLimit", "ParseError"]) if outcome == "error" else "",
                "workflow_path": rng.choice(PATHS),
                "follow_up_actions": ["retry"] if outcome != "success" else [],
                "tokens_used": rng.randrange(100, 5000),
                "tokens_saved": rng.randrange(0, 800),
                "cost_usd": f"{rng.randrange(1, 5000) / 100000:.5f}",
                "state_snapshot": {"tier": "standard", "element": rng.choice(["fire", "water"]), "realm": "code"},
                "occurred_at": (BASE + timedelta(seconds=i * 13)).isoformat(),
            }
        )
    return events


def load_copy(events: list[dict]) -> None:
    """The floor: COPY the same rows into an identical scratch table."""
    from django.db import connection, transaction

    from skills.services.telemetry import EVENT_COLUMNS, JSON_COLUMNS

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_copy_floor")
        cursor.execute("CREATE TABLE bench_copy_floor (LIKE skills_usageevent INCLUDING ALL)")
    columns = ", ".join(EVENT_COLUMNS)
    now = datetime.now(UTC)
    with transaction.atomic(), connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY bench_copy_floor ({columns}) FROM STDIN") as copy:
            for event in events:
                row = {
                    **event,
                    "payload_sha256": "",
                    "skill_version_id": None,
                    "user_id": None,
                    "completed": event["outcome"] == "success",
                    "input_hash": "",
                    "artifacts": {},
                    "project_path": "",
                    "schema_version": 1,
                    "received_at": now,
                }
                copy.write_row([json.dumps(row[c]) if c in JSON_COLUMNS else row[c] for c in EVENT_COLUMNS])


def load_api(events: list[dict], batch_size: int, client) -> None:
    for start in range(0, len(events), batch_size):
        chunk = events[start : start + batch_size]
        body = json.dumps(chunk if batch_size > 1 else chunk[0])
        response = client.post("/api/events/", body, content_type="application/json")
        if response.status_code != 201:
            raise SystemExit(f"API answered {response.status_code}: {response.content[:300]!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--single-events", type=int, default=None, help="default: --events")
    parser.add_argument("--batch-size", type=int, default=500)
    args = parser.parse_args()
    url = setup_django()

    from django.contrib.auth import get_user_model
    from django.test import Client

    from skills.models import SkillMetrics, UsageEvent

    user, _ = get_user_model().objects.get_or_create(username="bench")
    client = Client()
    client.force_login(user)
    events = generate(args.events)
    single = events[: args.single_events or args.events]
    print(f"database: {url}\nevents: {len(events):,} (single-event run: {len(single):,}), batch size {args.batch_size}")

    seconds: dict[str, float] = {}
    truncate_telemetry()
    with timed(seconds, "copy"):
        load_copy(events)
    truncate_telemetry()
    with timed(seconds, "batch"):
        load_api(events, args.batch_size, client)
    batch_total = SkillMetrics.objects.values_list("total_invocations", flat=True)
    assert sum(batch_total) == len(events) == UsageEvent.objects.count(), "batch run lost or doubled events"
    truncate_telemetry()
    with timed(seconds, "single"):
        load_api(single, 1, client)
    assert UsageEvent.objects.count() == len(single)

    rates = {
        "copy": len(events) / seconds["copy"],
        "batch": len(events) / seconds["batch"],
        "single": len(single) / seconds["single"],
    }
    labels = {
        "copy": "raw COPY (floor)",
        "batch": f"batch API ({args.batch_size}/request)",
        "single": "single-event API",
    }
    rows = [
        [
            labels[k],
            f"{(len(single) if k == 'single' else len(events)):,}",
            f"{seconds[k]:.2f}",
            f"{rates[k]:,.0f}",
            f"{rates[k] / rates['copy']:.1%}",
        ]
        for k in ("copy", "batch", "single")
    ]
    print_table(["method", "events", "seconds", "events/s", "vs COPY"], rows)
    target = rates["batch"] / rates["copy"]
    print(f"batch API / COPY = {target:.1%} (target ≥ 40%): {'met' if target >= 0.4 else 'NOT met'}")


if __name__ == "__main__":
    main()
