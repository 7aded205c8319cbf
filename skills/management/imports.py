"""What the import commands print: each failure, then one line of counts; any failure makes the
command exit non-zero (CommandError), after everything else was imported."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError


def import_report_write(command: BaseCommand, *, failures: list, counts: str, failed: str) -> None:
    """Writes each failure ("FAILED …") to stderr and `counts` to stdout; CommandError(`failed`)
    when anything failed."""
    for failure in failures:
        command.stderr.write(f"FAILED {failure}")
    command.stdout.write(counts)
    if failures:
        raise CommandError(failed)
