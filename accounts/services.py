"""Write paths of API keys: make one (its secret returned once), revoke one, note its use."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from .models import NAME_MAX_LENGTH, APIKey
from .scopes import Scope

KEY_NAME_REQUIRED = "Give the key a name that says where it is used."
KEY_NAME_TOO_LONG = "A key's name has at most {limit} characters."
KEY_SCOPE_INVALID = "Choose a scope: {choices}."
KEY_EXPIRY_PAST = "The expiry must be in the future."
KEY_ALREADY_REVOKED = "This key is already revoked."
# A key's last use is written at most this often, so a stream of requests does not write a row each.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def api_key_create(*, user, name: str, scope: str, expires_at: datetime | None = None) -> tuple[APIKey, str]:
    """A new key of `user`; returns it and its secret, which is never stored nor shown again."""
    name = (name or "").strip()
    errors = {}
    if not name:
        errors["name"] = KEY_NAME_REQUIRED
    elif len(name) > NAME_MAX_LENGTH:
        errors["name"] = KEY_NAME_TOO_LONG.format(limit=NAME_MAX_LENGTH)
    if scope not in Scope.values:
        errors["scope"] = KEY_SCOPE_INVALID.format(choices=", ".join(Scope.values))
    if expires_at is not None and expires_at <= timezone.now():
        errors["expiry_date"] = KEY_EXPIRY_PAST
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        return APIKey.objects.create_key(user=user, name=name, scope=scope, expiry_date=expires_at)


def api_key_revoke(*, key: APIKey) -> APIKey:
    """Revoke a key for good: requests with it get 401 from now on."""
    with transaction.atomic():
        locked = APIKey.objects.select_for_update().get(pk=key.pk)
        if locked.revoked:
            raise ValidationError(KEY_ALREADY_REVOKED)
        locked.revoked = True
        locked.save(update_fields=["revoked"])
    return locked


def api_key_mark_used(*, key: APIKey) -> None:
    """Note that the key was used now (at most once per LAST_USED_RESOLUTION)."""
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at >= LAST_USED_RESOLUTION:
        APIKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
