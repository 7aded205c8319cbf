from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts.scopes import Scope
from accounts.services import api_key_create


class Command(BaseCommand):
    help = "Makes an API key for a user and prints its secret (shown this once; only its hash is stored)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--scope", required=True, choices=Scope.values, help="what the key may do")
        parser.add_argument("--name", help="where the key is used (default: '<scope> key')")
        parser.add_argument("--expires-days", type=int, help="the key stops working after this many days")

    def handle(self, *args, username, scope, name, expires_days, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        if expires_days is not None and expires_days < 1:
            raise CommandError(f"--expires-days must be 1 or more, not {expires_days}.")
        expires_at = timezone.now() + timedelta(days=expires_days) if expires_days else None
        try:
            _key, secret = api_key_create(user=user, name=name or f"{scope} key", scope=scope, expires_at=expires_at)
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
        self.stdout.write(secret)
