"""API keys: named, scoped, hashed at rest (djangorestframework-api-key's model and hasher), with an
optional expiry, the time of last use, and revocation that cannot be undone."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from rest_framework_api_key.models import AbstractAPIKey, BaseAPIKeyManager

from .scopes import Scope

NAME_MAX_LENGTH = 50


class APIKeyQuerySet(models.QuerySet):
    def for_user(self, user) -> APIKeyQuerySet:
        return self.filter(user=user)

    def usable(self) -> APIKeyQuerySet:
        """Neither revoked nor expired."""
        return self.filter(Q(expiry_date__isnull=True) | Q(expiry_date__gt=timezone.now()), revoked=False)


class APIKeyManager(BaseAPIKeyManager.from_queryset(APIKeyQuerySet)):
    def matching(self, secret: str) -> APIKey | None:
        """The usable key whose secret this is, with its user; None for anything else.

        A key made here is `<prefix>.<secret>`: found by its prefix, then its hash compared in
        constant time (the library's check). A DRF token migrated into a key has no prefix in it and
        is found by its hash, which is unique."""
        keys = self.usable().select_related("user")
        if "." not in secret:
            return keys.filter(hashed_key=self.key_generator.hash(secret)).first()
        key = keys.filter(prefix=secret.partition(".")[0]).first()
        return key if key is not None and key.is_valid(secret) else None


class APIKey(AbstractAPIKey):
    """A key a user (or staff for them) made for one job. The secret is shown once, when the key is
    made; only its SHA-512 is stored (`hashed_key`), with its first eight characters (`prefix`) to
    find it and to recognise it in lists."""

    objects = APIKeyManager()

    name = models.CharField(
        max_length=NAME_MAX_LENGTH, help_text="Where the key is used, e.g. “laptop: OTLP exporter”."
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_keys")
    scope = models.CharField(max_length=10, choices=Scope.choices)
    # Unique, so a key presented without a prefix (a migrated DRF token) is found by its hash.
    hashed_key = models.CharField(max_length=150, unique=True, editable=False)
    last_used_at = models.DateTimeField("last used", null=True, blank=True, editable=False)

    class Meta(AbstractAPIKey.Meta):
        verbose_name = "API key"
        verbose_name_plural = "API keys"
        constraints = [
            models.CheckConstraint(condition=Q(scope__in=Scope.values), name="accounts_apikey_scope_valid"),
            models.CheckConstraint(condition=~Q(name=""), name="accounts_apikey_name_not_empty"),
        ]
