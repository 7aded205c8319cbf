from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from skills.services.sync import skills_sync_from_folder


class Command(BaseCommand):
    help = "Syncs the registry from a folder of Agent Skills (PATH/<name>/SKILL.md). Safe to run again."

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)

    def handle(self, *args, path: Path, **options):
        if not path.is_dir():
            raise CommandError(f"{path} is not a folder")
        report = skills_sync_from_folder(root=path)
        for warning in report.warnings:
            self.stderr.write(f"WARNING {warning}")
        for failure in report.failures:
            self.stderr.write(f"FAILED {failure}")
        self.stdout.write(report.summary())
        if report.failures:
            raise CommandError(f"{len(report.failures)} skill file(s) could not be synced (see above).")
