from django.core.management.base import BaseCommand

from skills.ingestion import metrics_as_of, usage_rollups_fold


class Command(BaseCommand):
    help = "Folds the events waiting in the roll-up queue into the metrics, daily, session and user roll-ups."

    def handle(self, *args, **options):
        folded = usage_rollups_fold()
        self.stdout.write(f"folded {folded} event(s); roll-ups as of {metrics_as_of():%Y-%m-%d %H:%M:%S %Z}")
