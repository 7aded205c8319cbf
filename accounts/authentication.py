"""API keys on every endpoint, as `Authorization: Token <key>` or `Authorization: Bearer <key>`."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed

from .models import APIKey
from .services import api_key_mark_used

KEYWORDS = (b"token", b"bearer")
KEY_HEADER_MALFORMED = "Send the key as `Authorization: Token <key>` or `Authorization: Bearer <key>`."
KEY_INVALID = "Unknown, expired or revoked API key (or its account is inactive)."


class APIKeyAuthentication(BaseAuthentication):
    """The caller's API key: `request.user` is its owner, `request.auth` the key, whose scope
    `accounts.permissions.KeyScopeAllows` checks against the operation."""

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() not in KEYWORDS:
            return None
        if len(parts) != 2:
            raise AuthenticationFailed(KEY_HEADER_MALFORMED)
        try:
            secret = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise AuthenticationFailed(KEY_HEADER_MALFORMED) from None
        key = APIKey.objects.matching(secret)
        if key is None or not key.user.is_active:
            raise AuthenticationFailed(KEY_INVALID)
        api_key_mark_used(key=key)
        return key.user, key

    def authenticate_header(self, request) -> str:
        # Makes an anonymous request a 401 (with this challenge) rather than a 403.
        return "Token"


class APIKeyScheme(OpenApiAuthenticationExtension):
    """Both header forms in the OpenAPI schema."""

    target_class = APIKeyAuthentication
    name = ["tokenAuth", "bearerAuth"]

    def get_security_definition(self, auto_schema):
        return [
            {"type": "apiKey", "in": "header", "name": "Authorization", "description": "`Token <API key>`."},
            {"type": "http", "scheme": "bearer", "description": "The API key: `Authorization: Bearer <key>`."},
        ]
