"""sync_skills PATH: the registry from a folder of Agent Skills (see skills/services/sync/)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from skills.progress import TerminalProgress
from skills.services.sync.folder import skills_sync_from_folder

SOME_FAILED = "{count} skill file(s) could not be synced (see FAILED above)"


class Command(BaseCommand):
    help = "Syncs the registry from a folder of Agent Skills (PATH/<name>/SKILL.md). Safe to run again."

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="folder holding one subfolder per skill")

    def handle(self, *args, path: Path, verbosity: int, **options):
        try:
            report = skills_sync_from_folder(root=path, progress=TerminalProgress(self.stderr, verbosity=verbosity))
        except NotADirectoryError as error:
            raise CommandError(str(error)) from error
        if verbosity > 0:
            for warning in report.warnings:
                self.stderr.write(f"WARNING {warning}")
        for failure in report.failures:
            self.stderr.write(f"FAILED {failure}")
        if verbosity > 0:
            self.stdout.write(report.summary())
        if report.failures:
            # CommandError: exit status 1 from manage.py, an exception call_command callers can catch.
            raise CommandError(SOME_FAILED.format(count=report.failed))
