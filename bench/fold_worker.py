"""A fold worker for the ingestion benchmark: the product's own (`manage.py fold_usage --follow`,
folding as events arrive until SIGTERM), run on the benchmark's database in a process of its own."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import setup_django  # noqa: E402


def main() -> None:
    setup_django()
    from django.core.management import call_command

    call_command("fold_usage", follow=True)


if __name__ == "__main__":
    main()
