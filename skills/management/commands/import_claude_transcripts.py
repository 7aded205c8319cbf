"""import_claude_transcripts PATH…: Skill calls from Claude Code transcripts into the usage log."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from skills.intake.transcripts import claude_transcripts_import
from skills.management.imports import import_report_write

NO_SUCH_USER = "no user named {username!r}"
SOME_FAILED = "{count} problem(s) (see FAILED above); everything else was imported"


class Command(BaseCommand):
    help = (
        "Imports the Skill calls of Claude Code JSONL transcripts (files, or folders such as ~/.claude/projects/) "
        "as usage events. Safe to re-run: nothing is imported twice."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", type=Path)
        parser.add_argument("--user", help="username the events are attributed to (default: none)")

    def handle(self, *args, paths, user=None, **options):
        owner = None
        if user:
            owner = get_user_model().objects.filter(username=user).first()
            if owner is None:
                raise CommandError(NO_SUCH_USER.format(username=user))
        report = claude_transcripts_import(paths=paths, user=owner)
        import_report_write(
            self,
            failures=report.problems,
            counts=f"files {report.files}, skill calls {report.invocations}, imported {report.created}, "
            f"already imported {report.duplicates}, failed {len(report.problems)}",
            failed=SOME_FAILED.format(count=len(report.problems)),
        )
