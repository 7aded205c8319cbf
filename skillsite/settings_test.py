"""Settings for the test suite: production settings plus test-only speed-ups."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")

from .settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
# Django's test client logs in without a request, which django-axes refuses; the lockout tests turn it on.
AXES_ENABLED = False
# Roll-ups folded after every record, so a test reads what it just posted.
INGEST_FOLD_INTERVAL_SECONDS = 0
