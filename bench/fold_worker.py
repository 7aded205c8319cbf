"""A fold worker for the ingestion benchmark: folds the roll-up queue in a loop until stopped
(SIGTERM), as the scheduled job does in a deployment, in a process of its own."""

from __future__ import annotations

import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import setup_django  # noqa: E402


def main() -> None:
    setup_django()
    from skills.ingestion import usage_rollups_fold

    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    print("ready", flush=True)
    while not stopping:
        if not usage_rollups_fold():
            time.sleep(0.05)


if __name__ == "__main__":
    main()
