from django.core.management.base import BaseCommand

from skills.management.jobs import job_run_by_command
from skills.models import Job


class Command(BaseCommand):
    help = (
        "Mines co-occurring skill sets into emergence candidates: only the sessions with events since the last "
        "run, or all of them with --full (a run of the job, recorded with trigger 'command')."
    )

    def add_arguments(self, parser):
        parser.add_argument("--full", action="store_true", help="re-mine every session")

    def handle(self, *args, full, verbosity, **options):
        job = Job.MINE_EMERGENCE_FULL if full else Job.MINE_EMERGENCE
        report = job_run_by_command(self, job, verbosity=verbosity)
        if verbosity:
            self.stdout.write(report)
