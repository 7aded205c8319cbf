"""Ingestion benchmark (PostgreSQL): the batch and single-event APIs against their floors.

    .venv/bin/python bench/ingest.py [--events 200000] [--single-events 20000] [--batch-size 500]
                                     [--repeat 1] [--curve-events 3000]

Loads generated events, each way timed from an empty log:
  1. the floor: COPY in one transaction into a scratch clone of the log (the same columns,
     partitions, indexes, CHECKs, foreign keys and the event-id registry trigger), with no
     validation and no roll-ups; for reference, the same COPY into a plain
     `LIKE skills_usageevent INCLUDING ALL` table (no partitions, foreign keys or triggers);
  2. POST /api/events/ with batches through Django's whole request handling (test client:
     middleware, API-key auth, DRF, validation), the clock stopping when every event is in the
     roll-ups — twice: the requests folding the queue when due (once a second), then the fold
     worker (`manage.py fold_usage --follow`, in a process of its own started before the clock:
     bench/fold_worker.py) folding it meanwhile while the requests never fold, as a deployment's
     web and worker processes split the work;
  3. POST /api/events/ one event a request, the same two ways;
  4. the single event's floor: a bare DRF view (bench/bare.py: API-key auth, the same
     middleware) inserting each posted event with one INSERT into a clone of the log;
  5. the single-event API under gunicorn on loopback, with 1, 4 and 16 concurrent clients
     posting events for the same skill (events/s for each: writers share no lock).
Each way's input (COPY rows, JSON bodies) is made before its timed run: that is the client's
work. With --repeat N, ways 1-4 run N interleaved rounds and the medians are printed. Prints
events/s, the ratios, and the database backend's CPU per 500 events when the server is local.
Uses BENCH_DATABASE_URL (default: a `skillsite_bench` database on the local server).
"""

from __future__ import annotations

import argparse
import gc
import http.client
import json
import os
import random
import subprocess
import sys
import threading
import time
import uuid
from collections import defaultdict
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from statistics import median

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, print_table, setup_django, timed, truncate_telemetry  # noqa: E402

BASE = datetime.now(UTC).replace(microsecond=0) - timedelta(days=60)
OUTCOMES = ["success"] * 7 + ["failure", "error", "abandoned"]
PATHS = ["plan/execute", "plan/review/execute", "quick", "search/read/answer", "load/parse/extract"]
LOG = "skills_usageevent"
KEYS = "skills_usageeventkey"
QUEUE_FUNCTION = "skills_usageevent_queue_rollups"  # the roll-up queue: metrics, which the floors keep none of
FLOOR, PLAIN, BARE = "bench_copy_floor", "bench_copy_plain", "bench_bare"
PORT = 8078
SECRET = "bench-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz-0123456789"


def generate(n: int, seed: int = 7, skills: int = 50) -> list[dict]:
    rng = random.Random(seed)
    events = []
    for i in range(n):
        outcome = rng.choice(OUTCOMES)
        events.append(
            {
                "event_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "skill_id": f"bench-skill-{rng.randrange(skills)}",
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
                "occurred_at": (BASE + timedelta(seconds=i * 13 % (55 * 86400))).isoformat(),
            }
        )
    return events


def clone_log(name: str) -> None:
    """A scratch table identical to the log — columns, partitions, indexes, CHECKs, foreign keys,
    the registry trigger (filling a scratch registry) — without the roll-up queue's trigger."""
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
            if function == QUEUE_FUNCTION:
                continue
            if KEYS in function_sql:  # the registry trigger: the same body, writing to the scratch registry
                cursor.execute(function_sql.replace(KEYS, f"{name}_key").replace(function, f"{name}_{function}"))
                trigger = trigger.replace(function, f"{name}_{function}")
            trigger = trigger.replace(f" ON public.{LOG} ", f" ON {name} ")
            cursor.execute(trigger.replace(f"CREATE TRIGGER {LOG}_", f"CREATE TRIGGER {name}_"))


def copy_rows(events: list[dict], user_id: int) -> list[list]:
    """The COPY's input: a row of the log's columns per event."""
    from skills.ingestion.copy import COLUMNS, JSON_COLUMNS

    now = datetime.now(UTC)
    extra = {"payload_sha256": "", "skill_version_id": None, "user_id": user_id, "input_hash": "", "artifacts": {}}
    rows = []
    for event in events:
        row = {**event, **extra, "completed": event["outcome"] == "success", "project_path": "", "received_at": now}
        row["schema_version"] = 1
        rows.append([json.dumps(row[c]) if c in JSON_COLUMNS else row[c] for c in COLUMNS])
    return rows


def load_copy(rows: list[list], table: str) -> None:
    from django.db import connection, transaction

    from skills.ingestion.copy import COLUMNS

    with transaction.atomic(), connection.cursor() as cursor:
        with cursor.copy(f"COPY {table} ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


def request_bodies(events: list[dict], batch_size: int) -> list[str]:
    chunks = [events[start : start + batch_size] for start in range(0, len(events), batch_size)]
    return [json.dumps(chunk if batch_size > 1 else chunk[0]) for chunk in chunks]


def load_api(bodies: list[str], client, url: str = "/api/events/") -> None:
    for body in bodies:
        response = client.post(url, body, content_type="application/json")
        if response.status_code != 201:
            raise SystemExit(f"{url} answered {response.status_code}: {response.content[:300]!r}")


def drain() -> None:
    """The last fold: every stored event into the roll-ups."""
    from skills.ingestion.fold import usage_rollups_fold

    usage_rollups_fold()


@contextmanager
def fold_worker():
    """A fold worker in its own process (bench/fold_worker.py) while the block runs, and requests
    that never fold themselves: the deployment's split between web and worker processes."""
    from django.conf import settings

    script = str(Path(__file__).with_name("fold_worker.py"))
    worker = subprocess.Popen([sys.executable, script], env=os.environ, stdout=subprocess.PIPE, text=True)
    settings.INGEST_FOLD_INTERVAL_SECONDS = -1
    try:
        # Folding before the clock starts, as a deployment's worker is when requests arrive (its
        # start-up, Django's set-up, takes about a second): it says so on its first line.
        if not worker.stdout.readline().startswith("folding"):
            raise SystemExit("the fold worker did not start")
        yield
    finally:
        settings.INGEST_FOLD_INTERVAL_SECONDS = 1.0
        worker.terminate()
        worker.wait(timeout=60)


def wait_until_folded() -> None:
    from skills.models import UsageEventPending

    while UsageEventPending.objects.exists():
        time.sleep(0.02)


def check_folded(expected: int) -> None:
    from skills.models import SkillMetrics, UsageEvent

    folded = sum(SkillMetrics.objects.values_list("total_invocations", flat=True))
    assert folded == expected == UsageEvent.objects.count(), f"lost or doubled events: {folded} of {expected}"


def one_round(inputs: dict, client, n_events: int, n_single: int) -> tuple[dict, dict]:
    """The floors and both APIs, each into an empty log or table."""
    from django.db import connection

    seconds: dict[str, float] = {}
    cpu: dict[str, float] = {}
    truncate_telemetry()
    clone_log(FLOOR)
    with timed(seconds, "copy", cpu):
        load_copy(inputs["rows"], FLOOR)
    with connection.cursor() as cursor:  # the LIKE copy alone: no partitions, no foreign keys, no triggers
        cursor.execute(f"DROP TABLE IF EXISTS {PLAIN} CASCADE")
        cursor.execute(f"CREATE TABLE {PLAIN} (LIKE {LOG} INCLUDING ALL)")
    with timed(seconds, "plain", cpu):
        load_copy(inputs["rows"], PLAIN)
    with timed(seconds, "batch", cpu):
        load_api(inputs["batches"], client)
        drain()
    check_folded(n_events)
    truncate_telemetry()
    with fold_worker(), timed(seconds, "batch_worker", cpu):
        started = time.perf_counter()
        load_api(inputs["batches"], client)
        seconds["batch_requests"] = time.perf_counter() - started  # the requests alone, the worker folding meanwhile
        wait_until_folded()
    check_folded(n_events)
    truncate_telemetry()
    with timed(seconds, "single", cpu):
        load_api(inputs["singles"], client)
        drain()
    check_folded(n_single)
    truncate_telemetry()
    with fold_worker(), timed(seconds, "single_worker", cpu):
        load_api(inputs["singles"], client)
        wait_until_folded()
    check_folded(n_single)
    clone_log(BARE)
    with timed(seconds, "bare", cpu):
        load_api(inputs["singles"], client, "/bench/bare-event/")
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {FLOOR}, {FLOOR}_key, {PLAIN}, {BARE}, {BARE}_key CASCADE")
    return seconds, cpu


def concurrency_curve(url: str, token: str, n_events: int, levels=(1, 4, 16)) -> dict[int, float]:
    """Events/s of the single-event API under gunicorn with 1, 4 and 16 clients at once, all
    posting events of one skill."""
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "skillsite.settings",
        "SECRET_KEY": SECRET,
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "INGEST_THROTTLE_RATE": "100000000/minute",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "skillsite.wsgi", "-b", f"127.0.0.1:{PORT}", "-w", "4"]
        + ["--access-logfile", "/dev/null", "--log-level", "warning"],
        cwd=ROOT,
        env=env,
    )
    try:
        _wait_until_up()
        rates = {}
        for level, clients in enumerate(levels):
            truncate_telemetry()
            events = generate(n_events, seed=100 + level, skills=1)
            bodies = request_bodies(events, 1)
            share = [bodies[i::clients] for i in range(clients)]
            started = time.perf_counter()
            threads = [threading.Thread(target=_post_all, args=(part, token)) for part in share]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            rates[clients] = n_events / (time.perf_counter() - started)
            drain()
            check_folded(n_events)
        return rates
    finally:
        server.terminate()
        server.wait(timeout=30)


def _wait_until_up(timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=2)
            connection.request("GET", "/api/")
            connection.getresponse().read()
            return
        except OSError:
            time.sleep(0.3)
    raise SystemExit("gunicorn did not come up")


def _post_all(bodies: list[str], token: str) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
    headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
    for body in bodies:
        connection.request("POST", "/api/events/", body, headers)
        response = connection.getresponse()
        response.read()
        if response.status != 201:
            raise SystemExit(f"gunicorn answered {response.status}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--single-events", type=int, default=20_000)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=1, help="rounds of ways 1-4 (medians are printed)")
    parser.add_argument("--curve-events", type=int, default=3_000, help="events a level of the gunicorn curve")
    args = parser.parse_args()
    url = setup_django()

    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client

    from accounts.services import api_key_create
    from skills.models import Skill

    # As in production (the test settings fold after every record), and the bare view mounted.
    settings.INGEST_FOLD_INTERVAL_SECONDS = 1.0
    settings.ROOT_URLCONF = "bare"
    user, _ = get_user_model().objects.get_or_create(username="bench")
    key = api_key_create(user=user, name="ingestion benchmark", scope="ingest")[1]
    client = Client(HTTP_AUTHORIZATION=f"Token {key}")
    events = generate(args.events)
    single = events[: args.single_events]
    inputs = {
        "rows": copy_rows(events, user.pk),
        "batches": request_bodies(events, args.batch_size),
        "singles": request_bodies(single, 1),
    }
    gc.freeze()  # the client's data: keep the cyclic GC from scanning it during every timed run
    print(f"database: {url}\nevents: {len(events):,} (single-event runs: {len(single):,})")
    print(f"batch size {args.batch_size}")
    # The floors cannot register skills (their foreign keys need them): every run finds them registered.
    skill_ids = sorted({e["skill_id"] for e in events} | {"bench-skill-0"})
    Skill.objects.bulk_create([Skill(skill_id=s, display_name=s) for s in skill_ids], ignore_conflicts=True)

    rounds: dict[str, list[float]] = defaultdict(list)
    rounds_cpu: dict[str, list[float]] = defaultdict(list)
    for number in range(1, args.repeat + 1):
        seconds, cpu = one_round(inputs, client, len(events), len(single))
        for name, value in seconds.items():
            rounds[name].append(value)
        for name, value in cpu.items():
            rounds_cpu[name].append(value)
        if args.repeat > 1:
            batch_ratios = [seconds["copy"] / seconds[way] for way in ("batch", "batch_worker")]
            single_ratios = [seconds["bare"] / seconds[way] for way in ("single", "single_worker")]
            print(f"round {number}: batch / floor {batch_ratios[0]:.1%} (requests fold), "
                  f"{batch_ratios[1]:.1%} (a worker folds); "
                  f"single / bare {single_ratios[0]:.1%}, {single_ratios[1]:.1%}")  # fmt: skip
    seconds = {name: median(values) for name, values in rounds.items()}
    cpu = {name: median(values) for name, values in rounds_cpu.items()}
    counts = {"copy": len(events), "plain": len(events), "batch": len(events), "batch_worker": len(events)}
    counts |= {"batch_requests": len(events)}
    counts |= {"single": len(single), "single_worker": len(single), "bare": len(single)}
    rates = {k: counts[k] / seconds[k] for k in counts}
    labels = {
        "copy": "raw COPY into a clone of the log (floor)",
        "plain": "raw COPY, LIKE copy (no partitions, FKs, triggers)",
        "batch": f"batch API ({args.batch_size}/request), requests fold",
        "batch_worker": f"batch API ({args.batch_size}/request), a worker folds",
        "batch_requests": "  the same, its requests alone (roll-ups trailing)",
        "single": "single-event API, requests fold",
        "single_worker": "single-event API, a worker folds",
        "bare": "bare DRF view, one INSERT (single's floor)",
    }
    table = [
        [labels[k], f"{counts[k]:,}", f"{seconds[k]:.2f}", f"{rates[k]:,.0f}", f"{rates[k] / rates['copy']:.1%}",
         f"{cpu[k] / counts[k] * 500 * 1000:.1f}" if k in cpu else "n/a"]
        for k in ("copy", "plain", "batch", "batch_worker", "batch_requests", "single", "single_worker", "bare")
    ]  # fmt: skip
    print_table(["method", "events", "seconds", "events/s", "vs floor", "server CPU ms/500 events"], table)
    targets = [
        ("batch", "copy", "batch API / floor, requests fold"),
        ("batch_worker", "copy", "batch API / floor, a worker folds (until folded)"),
        ("batch_requests", "copy", "batch API / floor, its requests alone"),
        ("single", "bare", "single-event API / bare view, requests fold"),
        ("single_worker", "bare", "single-event API / bare view, a worker folds"),
    ]
    for way, floor, label in targets:
        ratio = rates[way] / rates[floor]
        print(f"{label} = {ratio:.1%} (target ≥ 40%): {'met' if ratio >= 0.4 else 'NOT met'}")

    curve = concurrency_curve(url, key, args.curve_events)
    print("\nsingle-event API under gunicorn (4 workers, loopback), one skill:")
    print_table(
        ["clients", "events/s", "vs 1 client"],
        [[str(n), f"{rate:,.0f}", f"{rate / curve[1]:.2f}×"] for n, rate in curve.items()],
    )


if __name__ == "__main__":
    main()
