from datetime import date, datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from skills.progress import TerminalProgress
from skills.services.partitions import (
    PartitionsUnsupported,
    partitions_archive,
    partitions_ensure,
    partitions_list,
)


def month(value: str) -> date:
    try:
        return datetime.strptime(value, "%Y-%m").date()
    except ValueError as error:
        raise CommandError(f"--archive-before: '{value}' is not a month in the form YYYY-MM") from error


class Command(BaseCommand):
    help = (
        "Creates the usage log's monthly partitions ahead (PostgreSQL; safe to run any time) and, with "
        "--archive-before YYYY-MM, moves whole partitions older than that month to the skills_archive schema."
    )

    def add_arguments(self, parser):
        parser.add_argument("--ahead", type=int, default=3, help="months to create ahead (default 3)")
        parser.add_argument("--archive-before", type=month, metavar="YYYY-MM")
        parser.add_argument("--list", action="store_true", dest="show", help="list the partitions and their rows")

    def handle(self, *args, ahead, archive_before, show, verbosity, **options):
        if ahead < 0:
            raise CommandError("--ahead must be 0 or more")
        try:
            created = partitions_ensure(today=timezone.now().date(), months_ahead=ahead)
            self.stdout.write(f"partitions created: {', '.join(created) or 'none (all present)'}")
            if archive_before:
                report = partitions_archive(
                    before=archive_before, progress=TerminalProgress(self.stderr, verbosity=verbosity)
                )
                self.stdout.write(
                    f"archived {len(report.partitions)} partition(s) ({', '.join(report.partitions) or '-'}): "
                    f"{report.archived:,} events; live {report.live:,} + archived {report.archived:,} "
                    f"= {report.live + report.archived:,} = {report.before:,} before"
                )
            if show:
                for name, rows in partitions_list():
                    self.stdout.write(f"{name}: {rows:,}")
        except PartitionsUnsupported as error:
            self.stdout.write(str(error))
