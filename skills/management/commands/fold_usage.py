import signal
import threading

from django.core.management.base import BaseCommand, CommandError

from skills.ingestion.fold import FOLLOW_IDLE_SECONDS, metrics_as_of, usage_rollups_follow
from skills.management.jobs import job_run_by_command
from skills.models import Job
from skillsite.metrics_exporter import exporter_start


class Command(BaseCommand):
    help = "Folds the events waiting in the roll-up queue into the metrics, daily, session and user roll-ups."

    def add_arguments(self, parser):
        parser.add_argument(
            "--follow",
            action="store_true",
            help="Keep folding events as they arrive until stopped (SIGTERM, SIGINT): a fold worker, for web "
            "processes that leave folding to it (INGEST_FOLD_INTERVAL_SECONDS=-1).",
        )
        parser.add_argument(
            "--idle-seconds",
            type=float,
            default=FOLLOW_IDLE_SECONDS,
            help=f"With --follow: how long to wait when nothing is queued (default {FOLLOW_IDLE_SECONDS}).",
        )

    def handle(self, *args, follow, idle_seconds, **options):
        if not idle_seconds > 0:
            raise CommandError(f"--idle-seconds must be a positive number of seconds, not {idle_seconds}.")
        if not follow:  # one fold: a run of the job
            report = job_run_by_command(self, Job.FOLD_ROLLUPS, verbosity=options["verbosity"])
            self.stdout.write(f"{report}; roll-ups as of {metrics_as_of():%Y-%m-%d %H:%M:%S %Z}")
            return
        stop = threading.Event()
        previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGTERM, signal.SIGINT)}
        exporter_start()  # when METRICS_EXPORTER_PORT is set: the folds' duration and count
        self.stdout.write("folding queued events as they arrive; stop with SIGTERM or Ctrl-C")
        self.stdout.flush()
        try:
            folded = usage_rollups_follow(stopping=stop.is_set, idle_seconds=idle_seconds)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        self.stdout.write(f"stopped after folding {folded} event(s)")
