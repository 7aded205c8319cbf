"""Ingestion benchmark (PostgreSQL): raw COPY vs the batch API vs the single-event API.

    .venv/bin/python bench/ingest.py [--events 200000] [--single-events 200000] [--batch-size 500] [--repeat 1]

Loads the same generated events into an empty log, each way timed:
  1. the floor: COPY in one transaction into a scratch clone of the log (the same
     columns, partitions, indexes, CHECKs, foreign keys and triggers, its event-id
     registry trigger filling a scratch registry), with no validation and no metrics
     (so without the log's roll-up trigger);
     for reference, the same COPY into a plain `LIKE skills_usageevent INCLUDING ALL`
     table (indexes and CHECKs, but not partitioned, no foreign keys, no triggers);
  2. POST /api/events/ with batches through Django's whole request handling (test
     client: middleware, token auth, DRF, validation), metrics kept current in the same
     transactions;
  3. POST /api/events/ one event a request.
Each way's input (the COPY's rows, the requests' JSON bodies) is made before its timed run:
that is the client's work. With --repeat N the first three ways run N rounds, interleaved, and
the medians are printed (this machine's speed drifts). Prints events/s for each, the ratios to
both COPYs and, when the server runs on this machine, the CPU time its backend spent per 500
events (each run starts after a CHECKPOINT). Uses BENCH_DATABASE_URL (default: a `skillsite_bench` database on the
local server, created if missing).
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import sys
import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from statistics import median

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


LOG = "skills_usageevent"
KEYS = "skills_usageeventkey"
FLOOR = "bench_copy_floor"
PLAIN = "bench_copy_plain"
ROLLUP_FUNCTION = "skills_usageevent_roll_up"  # SessionSkill and SkillUserUsage (migration 0011)


def clone_log(name: str) -> None:
    """A scratch table identical to the log: the same columns, partitions, indexes, CHECKs,
    foreign keys and triggers (its event-id registry trigger filling a scratch registry), but
    not the roll-up trigger: the floor keeps no metrics."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {name}, {name}_key CASCADE")
        cursor.execute(f"CREATE TABLE {name}_key (LIKE {KEYS} INCLUDING ALL)")
        cursor.execute(f"CREATE TABLE {name} (LIKE {LOG} INCLUDING ALL) PARTITION BY RANGE (occurred_at)")
        cursor.execute(
            "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i "
            "JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = %s::regclass",
            [LOG],
        )
        for partition, bound in cursor.fetchall():
            cursor.execute(f"CREATE TABLE {partition.replace(LOG, name)} PARTITION OF {name} {bound}")
        cursor.execute(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'f'", [LOG]
        )
        for (definition,) in cursor.fetchall():
            cursor.execute(f"ALTER TABLE {name} ADD {definition}")
        cursor.execute(
            "SELECT pg_get_triggerdef(t.oid), p.proname, pg_get_functiondef(p.oid) FROM pg_trigger t "
            "JOIN pg_proc p ON p.oid = t.tgfoid WHERE t.tgrelid = %s::regclass AND NOT t.tgisinternal",
            [LOG],
        )
        for trigger, function, function_sql in cursor.fetchall():
            if ROLLUP_FUNCTION == function:
                continue  # the roll-ups are metrics, which the floor does not keep
            if KEYS in function_sql:  # the registry trigger: the same body, writing to the scratch registry
                cursor.execute(function_sql.replace(KEYS, f"{name}_key").replace(function, f"{name}_{function}"))
                trigger = trigger.replace(function, f"{name}_{function}")
            trigger = trigger.replace(f" ON public.{LOG} ", f" ON {name} ")
            cursor.execute(trigger.replace(f"CREATE TRIGGER {LOG}_", f"CREATE TRIGGER {name}_"))


def copy_rows(events: list[dict], user_id: int) -> list[list]:
    """The COPY's input: a row of the log's columns per event."""
    from skills.services.telemetry import EVENT_COLUMNS, JSON_COLUMNS

    now = datetime.now(UTC)
    rows = []
    for event in events:
        row = {
            **event,
            "payload_sha256": "",
            "skill_version_id": None,
            "user_id": user_id,
            "completed": event["outcome"] == "success",
            "input_hash": "",
            "artifacts": {},
            "project_path": "",
            "schema_version": 1,
            "received_at": now,
        }
        rows.append([json.dumps(row[c]) if c in JSON_COLUMNS else row[c] for c in EVENT_COLUMNS])
    return rows


def load_copy(rows: list[list], table: str) -> None:
    """COPY the rows in one transaction into `table`."""
    from django.db import connection, transaction
    from skills.services.telemetry import EVENT_COLUMNS

    with transaction.atomic(), connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY {table} ({', '.join(EVENT_COLUMNS)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


def request_bodies(events: list[dict], batch_size: int) -> list[str]:
    """The API's input: a JSON body per request (a list, or one object for the single-event API)."""
    chunks = [events[start : start + batch_size] for start in range(0, len(events), batch_size)]
    return [json.dumps(chunk if batch_size > 1 else chunk[0]) for chunk in chunks]


def load_api(bodies: list[str], client) -> None:
    for body in bodies:
        response = client.post("/api/events/", body, content_type="application/json")
        if response.status_code != 201:
            raise SystemExit(f"API answered {response.status_code}: {response.content[:300]!r}")


def load_three_ways(rows: list[list], batch_bodies: list[str], client, n_events: int) -> tuple[dict, dict]:
    """One round: the floor, the LIKE copy and the batch API, each into an empty log or table."""
    from django.db import connection

    from skills.models import SkillMetrics, UsageEvent

    seconds: dict[str, float] = {}
    server_cpu: dict[str, float] = {}
    truncate_telemetry()
    clone_log(FLOOR)
    with timed(seconds, "copy", server_cpu):
        load_copy(rows, FLOOR)
    clone_log(PLAIN)
    with connection.cursor() as cursor:  # the LIKE copy alone: no partitions, no foreign keys, no triggers
        cursor.execute(f"DROP TABLE {PLAIN} CASCADE")
        cursor.execute(f"CREATE TABLE {PLAIN} (LIKE {LOG} INCLUDING ALL)")
    with timed(seconds, "plain", server_cpu):
        load_copy(rows, PLAIN)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {FLOOR}, {FLOOR}_key, {PLAIN}, {PLAIN}_key CASCADE")
    with timed(seconds, "batch", server_cpu):
        load_api(batch_bodies, client)
    batch_total = SkillMetrics.objects.values_list("total_invocations", flat=True)
    assert sum(batch_total) == n_events == UsageEvent.objects.count(), "batch run lost or doubled events"
    return seconds, server_cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--single-events", type=int, default=None, help="default: --events")
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument(
        "--repeat", type=int, default=1, help="rounds of the floor, LIKE copy and batch runs (medians are printed)"
    )
    args = parser.parse_args()
    url = setup_django()

    from django.contrib.auth import get_user_model
    from django.test import Client
    from rest_framework.authtoken.models import Token

    from skills.models import Skill, UsageEvent

    user, _ = get_user_model().objects.get_or_create(username="bench")
    # An API token, as the REST clients that post events use (the load test's agents do too).
    token, _ = Token.objects.get_or_create(user=user)
    client = Client(HTTP_AUTHORIZATION=f"Token {token.key}")
    events = generate(args.events)
    single = events[: args.single_events or args.events]
    # Each way's input is made before its timed run: the COPY's rows, the requests' JSON bodies.
    # Making them is the client's work (a real client is another process, on another machine);
    # the timed runs measure sending them and everything the server does with them.
    rows = copy_rows(events, user.pk)
    batch_bodies = request_bodies(events, args.batch_size)
    single_bodies = request_bodies(single, 1)
    # The client's data, not the server's: keep the cyclic garbage collector from scanning it
    # again and again during every timed run.
    gc.freeze()
    print(f"database: {url}\nevents: {len(events):,} (single-event run: {len(single):,}), batch size {args.batch_size}")

    # Every run finds the skills registered: the floor cannot register them (its foreign keys need them).
    Skill.objects.bulk_create(
        [Skill(skill_id=skill_id, display_name=skill_id) for skill_id in sorted({e["skill_id"] for e in events})],
        ignore_conflicts=True,
    )
    rounds: dict[str, list[float]] = defaultdict(list)
    rounds_cpu: dict[str, list[float]] = defaultdict(list)
    for round_number in range(1, args.repeat + 1):
        seconds, server_cpu = load_three_ways(rows, batch_bodies, client, len(events))
        for name, value in seconds.items():
            rounds[name].append(value)
        for name, value in server_cpu.items():
            rounds_cpu[name].append(value)
        if args.repeat > 1:
            print(
                f"round {round_number}: floor {seconds['copy']:.2f} s, batch API {seconds['batch']:.2f} s, "
                f"batch API / floor = {seconds['copy'] / seconds['batch']:.1%}"
            )
    truncate_telemetry()
    with timed(rounds, "single", rounds_cpu, append=True):
        load_api(single_bodies, client)
    assert UsageEvent.objects.count() == len(single)
    # Medians over the rounds: this machine's speed drifts, and the rounds interleave the ways.
    seconds = {name: median(values) for name, values in rounds.items()}
    server_cpu = {name: median(values) for name, values in rounds_cpu.items()}

    counts = {"copy": len(events), "plain": len(events), "batch": len(events), "single": len(single)}
    rates = {k: counts[k] / seconds[k] for k in counts}
    labels = {
        "copy": "raw COPY into a clone of the log (floor)",
        "plain": "raw COPY, LIKE copy (no partitions, FKs, triggers)",
        "batch": f"batch API ({args.batch_size}/request)",
        "single": "single-event API",
    }
    rows = [
        [
            labels[k],
            f"{counts[k]:,}",
            f"{seconds[k]:.2f}",
            f"{rates[k]:,.0f}",
            f"{rates[k] / rates['copy']:.1%}",
            f"{rates[k] / rates['plain']:.1%}",
            f"{server_cpu[k] / counts[k] * 500 * 1000:.1f}" if k in server_cpu else "n/a",
        ]
        for k in ("copy", "plain", "batch", "single")
    ]
    headers = ["method", "events", "seconds", "events/s", "vs floor", "vs LIKE copy", "server CPU ms/500 events"]
    print_table(headers, rows)
    target = rates["batch"] / rates["copy"]
    print(f"batch API / floor = {target:.1%} (target ≥ 40%): {'met' if target >= 0.4 else 'NOT met'}")


if __name__ == "__main__":
    main()
