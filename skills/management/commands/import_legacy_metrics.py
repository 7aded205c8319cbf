from pathlib import Path

from django.core.management.base import BaseCommand

from skills.management.imports import import_report_write
from skills.progress import TerminalProgress
from skills.services.legacy import legacy_metrics_import


class Command(BaseCommand):
    help = "Imports seed 001's JSON metrics files into the usage log (safe to re-run: nothing is imported twice)."

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", type=Path)

    def handle(self, *args, files, verbosity, **options):
        report = legacy_metrics_import(paths=files, progress=TerminalProgress(self.stderr, verbosity=verbosity))
        import_report_write(
            self,
            failures=report.failures,
            counts=f"read {report.read}, imported {report.imported}, already imported {report.duplicates}, "
            f"failed {len(report.failures)}",
            failed=f"{len(report.failures)} record(s) could not be imported (see above).",
        )
