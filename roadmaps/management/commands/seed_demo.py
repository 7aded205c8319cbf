from django.core.management.base import BaseCommand

from roadmaps.demo import seed_demo
from skills.demo import DEMO_LEARNER_PASSWORD, DEMO_LEARNERS


class Command(BaseCommand):
    help = (
        "Loads demo data (skills with versions, users, unlocks, telemetry, candidates, a roadmap). Safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--site-url", default="http://127.0.0.1:8000", help="Where the site runs, for the links printed."
        )

    def handle(self, *args, **options):
        result = seed_demo()
        site = options["site_url"].rstrip("/")
        self.stdout.write(f"Demo data ready ({result.skills_created} skills created this run).")
        self.stdout.write(
            self.style.SUCCESS(
                f"Admin: {site}/admin/  user: {result.admin_username}  password: {result.admin_password}"
            )
        )
        self.stdout.write(f"Learners: {site}/  users: {', '.join(DEMO_LEARNERS)}  password: {DEMO_LEARNER_PASSWORD}")
