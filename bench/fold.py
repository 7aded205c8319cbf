"""What a fold of the roll-up queue costs per event, by how many events it folds at once.

    .venv/bin/python bench/fold.py [--events 20000] [--batch-size 500]

Records the same generated events as bench/ingest.py, in batches, through
`usage_events_record` (no HTTP), folding the queue after every N batches; prints the folds'
milliseconds per 1,000 events for each N, and their ratio to folding everything at the end
(the baseline, measured in the same run). A fold has a fixed cost (the daily and metrics rows'
upserts), so folding often costs more per event.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import print_table, setup_django, truncate_telemetry  # noqa: E402
from ingest import generate  # noqa: E402


def fold_seconds(events: list[dict], batch_size: int, batches_a_fold: int, user) -> float:
    """Seconds spent folding when the queue is folded after every `batches_a_fold` batches."""
    from skills.ingestion.fold import usage_rollups_fold
    from skills.ingestion.record import usage_events_record

    truncate_telemetry()
    spent = 0.0
    batches = [events[start : start + batch_size] for start in range(0, len(events), batch_size)]
    for number, batch in enumerate(batches, 1):
        usage_events_record(events=batch, user=user)
        if number % batches_a_fold == 0 or number == len(batches):
            started = time.perf_counter()
            usage_rollups_fold()
            spent += time.perf_counter() - started
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--batch-size", type=int, default=500)
    args = parser.parse_args()
    setup_django()

    from django.conf import settings
    from django.contrib.auth import get_user_model

    from skills.models import Skill

    settings.INGEST_FOLD_INTERVAL_SECONDS = -1  # only the folds timed here
    user, _ = get_user_model().objects.get_or_create(username="bench")
    events = generate(args.events)
    skill_ids = sorted({event["skill_id"] for event in events})
    Skill.objects.bulk_create([Skill(skill_id=s, display_name=s) for s in skill_ids], ignore_conflicts=True)
    gc.freeze()
    total_batches = -(-len(events) // args.batch_size)
    cadences = [1, 2, 4, 8, total_batches]
    spent = {n: fold_seconds(events, args.batch_size, n, user) for n in cadences}
    baseline = spent[total_batches] / len(events) * 1000 * 1000
    rows = []
    for n in cadences:
        per_thousand = spent[n] / len(events) * 1000 * 1000
        label = "once, at the end (baseline)" if n == total_batches else f"{n * args.batch_size:,}"
        rows.append([label, f"{per_thousand:.1f}", f"{per_thousand / baseline:.2f}×"])
    print(f"{len(events):,} events in batches of {args.batch_size}")
    print_table(["events a fold", "fold ms / 1,000 events", "vs baseline"], rows)


if __name__ == "__main__":
    main()
