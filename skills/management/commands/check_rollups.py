from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from skills.progress import TerminalProgress
from skills.services.rollup_check import rollups_check


class Command(BaseCommand):
    help = (
        "Compares the stored roll-ups of a sample of skills with what rebuild_metrics computes from the log "
        "(nothing is written); exits 1 when they differ."
    )

    def add_arguments(self, parser):
        parser.add_argument("--sample", type=int, default=settings.ROLLUP_CHECK_SAMPLE_SKILLS, help="skills to check")
        parser.add_argument("--seed", type=int, help="seed of the sample, to repeat one")

    def handle(self, *args, sample, seed, verbosity, **options):
        if sample < 1:
            raise CommandError("--sample must be 1 or more")
        report = rollups_check(sample=sample, seed=seed, progress=TerminalProgress(self.stderr, verbosity=verbosity))
        if report.differences:
            raise CommandError(report.summary())
        if verbosity:
            self.stdout.write(report.summary())
