from django.core.management.base import BaseCommand

from skills.progress import TerminalProgress
from skills.services.rebuild import metrics_rebuild


class Command(BaseCommand):
    help = "Recomputes SkillMetrics, SessionSkill and the roll-ups from the usage log."

    def handle(self, *args, verbosity, **options):
        report = metrics_rebuild(progress=TerminalProgress(self.stderr, verbosity=verbosity))
        self.stdout.write(
            f"rebuilt from {report.events} events: {report.skills} skills, {report.sessions} session/skill rows, "
            f"{report.days} skill/day rows, {report.versions} skill/version rows"
        )
