"""Emergence mining benchmark (PostgreSQL): a full run, then an incremental run after 1 % new sessions.

    .venv/bin/python bench/mining.py [--sessions 100000]

Generates sessions of 2–4 events (12 skills, 3 contexts) through the ingest service,
times `emergence_mine(full=True)`, adds 1 % new sessions, and times the incremental run
that follows. Prints both times and their ratio.

Every event here is received within a minute or two, so the watermark's safety overlap
(EMERGENCE_WATERMARK_OVERLAP_SECONDS, 300 s by default) would make the incremental run
re-mine everything; the benchmark sets it to --overlap (0 s by default). In production,
runs hours apart, the overlap adds only the sessions of its last few minutes.
Set BENCH_DATABASE_URL to use another scratch database than skillsite_bench.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import print_table, setup_django, truncate_telemetry  # noqa: E402

START = datetime(2026, 10, 1, tzinfo=UTC)
CONTEXTS = [("standard", "fire", "code"), ("advanced", "water", "docs"), ("standard", "air", "ops")]


def sessions(rng: random.Random, first: int, count: int) -> list[dict]:
    pool = [f"mine-skill-{i}" for i in range(12)]
    events = []
    for n in range(first, first + count):
        tier, element, realm = rng.choice(CONTEXTS)
        for k, skill in enumerate(rng.sample(pool[: rng.choice([4, 6, 12])], rng.choice([2, 3, 4]))):
            events.append(
                {
                    "event_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                    "skill_id": skill,
                    "outcome": "success" if rng.random() < 0.9 else "failure",
                    "session_id": f"mine-{n}",
                    "latency_ms": rng.randrange(20, 2000),
                    "state_snapshot": {"tier": tier, "element": element, "realm": realm},
                    "occurred_at": (START + timedelta(seconds=n * 7 + k)).isoformat(),
                }
            )
    return events


def load(events: list[dict]) -> None:
    from skills.ingestion.record import usage_events_record

    for start in range(0, len(events), 1000):
        usage_events_record(events=events[start : start + 1000], user=None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=100_000)
    parser.add_argument("--overlap", type=int, default=0, help="watermark overlap in seconds (default 0)")
    args = parser.parse_args()
    url = setup_django()
    from django.conf import settings

    settings.EMERGENCE_WATERMARK_OVERLAP_SECONDS = args.overlap
    from skills.models import EmergenceCandidate, MiningRun, MiningSession
    from skills.services.emergence import emergence_mine

    truncate_telemetry()
    for model in (EmergenceCandidate, MiningSession, MiningRun):
        model.objects.all().delete()
    rng = random.Random(11)
    load(sessions(rng, 0, args.sessions))
    start = time.perf_counter()
    full = emergence_mine(full=True)
    full_seconds = time.perf_counter() - start
    new = max(1, args.sessions // 100)
    load(sessions(rng, args.sessions, new))
    start = time.perf_counter()
    incremental = emergence_mine()
    incremental_seconds = time.perf_counter() - start
    print(f"database: {url}; {args.sessions:,} sessions, then {new:,} new (1 %); overlap {args.overlap} s")
    print_table(
        ["run", "sessions mined", "candidates updated", "seconds"],
        [
            ["full", f"{full.sessions:,}", f"{full.candidates:,}", f"{full_seconds:.2f}"],
            [
                "incremental (1 % new)",
                f"{incremental.sessions:,}",
                f"{incremental.candidates:,}",
                f"{incremental_seconds:.2f}",
            ],
        ],
    )
    print(f"incremental / full = {incremental_seconds / full_seconds:.1%}")


if __name__ == "__main__":
    main()
