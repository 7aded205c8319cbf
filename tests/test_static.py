"""Production static files: collectstatic with hashed names (the production storage) works.

Production uses whitenoise's CompressedManifestStaticFilesStorage; its reference checking is
Django's ManifestStaticFilesStorage, used here without the (slow) compression."""

from pathlib import Path

from django.core.management import call_command
from django.test import override_settings

PRODUCTION_STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
}


def test_collectstatic_with_the_production_storage_resolves_every_reference(tmp_path: Path):
    # The manifest storage fails on a reference to a missing file (a vendored source map, a font):
    # a deployment would fail at this step.
    with override_settings(STATIC_ROOT=tmp_path, STORAGES=PRODUCTION_STORAGES):
        call_command("collectstatic", interactive=False, verbosity=0)
    manifest = (tmp_path / "staticfiles.json").read_text()
    assert "vendor/chartjs/chart-4.6.1.umd.min.js" in manifest
    assert "vendor/htmx/htmx-2.0.11.min.js" in manifest
