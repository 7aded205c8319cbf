from django.core.management.base import BaseCommand

from skills.management.jobs import job_run_by_command
from skills.models import Job


class Command(BaseCommand):
    help = (
        "Compares each skill's current version with the version current before it (success rate, p95 latency, "
        "cost per use), marks regressions and emails staff about new ones; clears recovered ones (a run of the "
        "job, recorded with trigger 'command')."
    )

    def handle(self, *args, verbosity, **options):
        report = job_run_by_command(self, Job.DETECT_REGRESSIONS, verbosity=verbosity)
        if verbosity:
            self.stdout.write(report)
