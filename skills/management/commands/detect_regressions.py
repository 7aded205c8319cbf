from django.core.management.base import BaseCommand

from skills.services.regressions import regressions_detect


class Command(BaseCommand):
    help = (
        "Compares each skill's current version with the version current before it (success rate, p95 latency, "
        "cost per use), marks regressions and emails staff about new ones; clears recovered ones."
    )

    def handle(self, *args, verbosity, **options):
        report = regressions_detect()
        if verbosity:
            self.stdout.write(report.summary())
