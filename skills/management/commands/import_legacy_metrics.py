from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from skills.progress import TerminalProgress
from skills.services.legacy import legacy_metrics_import


class Command(BaseCommand):
    help = "Imports seed 001's JSON metrics files into the usage log (safe to re-run: nothing is imported twice)."

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", type=Path)

    def handle(self, *args, files, verbosity, **options):
        report = legacy_metrics_import(paths=files, progress=TerminalProgress(self.stderr, verbosity=verbosity))
        for failure in report.failures:
            self.stderr.write(f"FAILED {failure}")
        self.stdout.write(
            f"read {report.read}, imported {report.imported}, already imported {report.duplicates}, "
            f"failed {len(report.failures)}"
        )
        if report.failures:
            raise CommandError(f"{len(report.failures)} record(s) could not be imported (see above).")
