from django.core.management.base import BaseCommand

from skills.progress import TerminalProgress
from skills.services.emergence import emergence_mine


class Command(BaseCommand):
    help = (
        "Mines co-occurring skill sets into emergence candidates: only the sessions with events since the last "
        "run, or all of them with --full."
    )

    def add_arguments(self, parser):
        parser.add_argument("--full", action="store_true", help="re-mine every session")

    def handle(self, *args, full, verbosity, **options):
        report = emergence_mine(full=full, progress=TerminalProgress(self.stderr, verbosity=verbosity))
        kind = "full" if report.full else "incremental"
        if verbosity:
            self.stdout.write(
                f"{kind} run: {report.sessions} session(s) mined, {report.candidates} candidate(s) updated"
            )
