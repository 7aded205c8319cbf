from datetime import date, datetime

from django.core.management.base import BaseCommand, CommandError

from skills.management.jobs import job_run_by_command
from skills.models import Job
from skills.services.partitions import PartitionsUnsupported, partitions_list


def month(value: str) -> date:
    try:
        return datetime.strptime(value, "%Y-%m").date()
    except ValueError as error:
        raise CommandError(f"--archive-before: '{value}' is not a month in the form YYYY-MM") from error


class Command(BaseCommand):
    help = (
        "Creates the usage log's monthly partitions ahead (PostgreSQL; safe to run any time) and, with "
        "--archive-before YYYY-MM, moves whole partitions older than that month to the skills_archive schema "
        "(runs of the jobs, recorded with trigger 'command')."
    )

    def add_arguments(self, parser):
        parser.add_argument("--ahead", type=int, default=3, help="months to create ahead (default 3)")
        parser.add_argument("--archive-before", type=month, metavar="YYYY-MM")
        parser.add_argument("--list", action="store_true", dest="show", help="list the partitions and their rows")

    def handle(self, *args, ahead, archive_before, show, verbosity, **options):
        if ahead < 0:
            raise CommandError("--ahead must be 0 or more")
        self.stdout.write(job_run_by_command(self, Job.ENSURE_PARTITIONS, verbosity=verbosity, months_ahead=ahead))
        if archive_before:
            report = job_run_by_command(self, Job.ARCHIVE_PARTITIONS, verbosity=verbosity, before=archive_before)
            self.stdout.write(report)
        if show:
            try:
                for name, rows in partitions_list():
                    self.stdout.write(f"{name}: {rows:,}")
            except PartitionsUnsupported as error:
                self.stdout.write(str(error))
