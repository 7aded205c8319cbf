"""API keys in the admin: staff make a key for a user (its secret shown once, on the next page),
see every key's scope, expiry and last use, and revoke keys in bulk. The secret is never shown
again: only its prefix."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from rest_framework_api_key.models import APIKey as LibraryAPIKey

from .forms import APIKeyAdminForm
from .models import APIKey
from .services import api_key_create, api_key_revoke

KEY_SHOWN_ONCE = "The API key “{name}” for {user} is: {secret} — copy it now: it is not shown again."

# The library's own (unused) key model: accounts.APIKey replaces it, with a user and a scope.
admin.site.unregister(LibraryAPIKey)


@admin.register(APIKey)
class APIKeyAdmin(admin.ModelAdmin):
    form = APIKeyAdminForm
    list_display = ("prefix", "name", "user", "scope", "created", "expiry_date", "last_used_at", "revoked")
    list_filter = ("scope", "revoked", "created")
    list_select_related = ("user",)
    search_fields = ("name", "prefix", "user__username")
    raw_id_fields = ("user",)
    fields = ("user", "name", "scope", "expiry_date", "prefix", "created", "last_used_at", "revoked")
    actions = ["revoke_keys"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ("prefix", "created", "last_used_at", "revoked")
        # A key's owner, scope and secret are fixed once made; make another key instead.
        return ("user", "scope", "prefix", "created", "last_used_at", "revoked", "name", "expiry_date")

    def has_change_permission(self, request, obj=None):
        return False if obj is not None else super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        if change:
            return
        key, secret = api_key_create(user=obj.user, name=obj.name, scope=obj.scope, expires_at=obj.expiry_date)
        obj.pk, obj.prefix = key.pk, key.prefix
        self.message_user(request, KEY_SHOWN_ONCE.format(name=key.name, user=key.user, secret=secret), messages.WARNING)

    @admin.action(description="Revoke the selected keys", permissions=["change"])
    def revoke_keys(self, request, queryset):
        revoked = 0
        for key in queryset.filter(revoked=False):
            try:
                api_key_revoke(key=key)
                revoked += 1
            except ValidationError:
                continue
        self.message_user(request, f"{revoked} key(s) revoked.", messages.SUCCESS)
