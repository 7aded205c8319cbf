from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from skills.management.jobs import job_run_by_command
from skills.models import Job


class Command(BaseCommand):
    help = (
        "Compares the stored roll-ups of a sample of skills with what rebuild_metrics computes from the log "
        "(nothing is written); exits 1 and alerts staff when they differ (a run of the job, recorded with "
        "trigger 'command')."
    )

    def add_arguments(self, parser):
        parser.add_argument("--sample", type=int, default=settings.ROLLUP_CHECK_SAMPLE_SKILLS, help="skills to check")
        parser.add_argument("--seed", type=int, help="seed of the sample, to repeat one")

    def handle(self, *args, sample, seed, verbosity, **options):
        if sample < 1:
            raise CommandError("--sample must be 1 or more")
        report = job_run_by_command(self, Job.CHECK_ROLLUPS, verbosity=verbosity, sample=sample, seed=seed)
        if verbosity:
            self.stdout.write(report)
