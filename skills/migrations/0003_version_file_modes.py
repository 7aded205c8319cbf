"""Files keep their mode. Versions synced before this kept none and their bundles served everything
under scripts/ as executable: those files are marked executable, so a pull serves what it did
before, and each bundle digest is recomputed the way skills.services.bundles computes it now
(path, sha256 and mode a line) so a lockfile's digest can be checked against its file list."""

import hashlib

from django.db import migrations, models


def _digest(version, files, with_modes: bool) -> str:
    lines = {"SKILL.md": (hashlib.sha256(version.content.encode("utf-8")).hexdigest(), False)}
    lines.update({file.path: (file.sha256, file.executable) for file in files})
    digest = hashlib.sha256()
    for path, (sha256, executable) in sorted(lines.items()):
        mode = f"\0{0o755 if executable else 0o644:o}" if with_modes else ""
        digest.update(f"{path}\0{sha256}{mode}\n".encode())
    return digest.hexdigest()


def _redigest(apps, with_modes: bool) -> None:
    SkillVersion = apps.get_model("skills", "SkillVersion")
    SkillVersionFile = apps.get_model("skills", "SkillVersionFile")
    for version in SkillVersion.objects.exclude(bundle_sha256="").iterator():
        files = SkillVersionFile.objects.filter(version=version).only("path", "sha256", "executable")
        version.bundle_sha256 = _digest(version, files, with_modes)
        version.save(update_fields=["bundle_sha256"])


def forwards(apps, schema_editor):
    apps.get_model("skills", "SkillVersionFile").objects.filter(path__startswith="scripts/").update(executable=True)
    _redigest(apps, with_modes=True)


def backwards(apps, schema_editor):
    _redigest(apps, with_modes=False)


class Migration(migrations.Migration):
    dependencies = [
        ("skills", "0002_database_features"),
    ]

    operations = [
        migrations.AddField(
            model_name="skillversionfile",
            name="executable",
            field=models.BooleanField(
                default=False, help_text="As found in the skill's folder; the bundle restores it (mode 755, else 644)."
            ),
        ),
        migrations.RunPython(forwards, backwards),
    ]
