"""sync_skills keeps a skill folder's other files (scripts/, references/, assets/) per version."""

import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from skills.models import Skill, SkillVersionFile
from skills.services.sync.folder import skills_sync_from_folder
from skills.services.sync.skill_file import FOLDER_TOO_LARGE

pytestmark = pytest.mark.django_db

SKILL = "---\nname: pdf\ndescription: Reads PDFs.\n---\nRun scripts/extract.py\n"


def folder(root: Path, files: dict[str, bytes]) -> Path:
    for path, data in {"pdf/SKILL.md": SKILL.encode(), **files}.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_bytes(data)
    return root


def test_the_folders_files_are_kept_with_the_version(tmp_path):
    root = folder(
        tmp_path,
        {"pdf/scripts/extract.py": b"print(1)\n", "pdf/references/guide.md": b"# G\n", "pdf/.cache/x": b"hidden"},
    )
    report = skills_sync_from_folder(root=root)
    assert report.created == 1 and not report.failures
    version = Skill.objects.get(pk="pdf").versions.get(is_current=True)
    assert dict(version.files.values_list("path", "size")) == {"references/guide.md": 4, "scripts/extract.py": 9}
    assert version.bundle_sha256 and version.bundle_sha256 != version.sha256

    assert skills_sync_from_folder(root=root).unchanged == 1  # a second run writes nothing


def test_a_changed_script_publishes_a_new_version_with_its_own_files(tmp_path):
    root = folder(tmp_path, {"pdf/scripts/extract.py": b"print(1)\n"})
    skills_sync_from_folder(root=root)
    (root / "pdf/scripts/extract.py").write_bytes(b"print(2)\n")
    assert skills_sync_from_folder(root=root).updated == 1
    versions = Skill.objects.get(pk="pdf").versions.order_by("created_at", "id")
    assert [bytes(v.files.get().content) for v in versions] == [b"print(1)\n", b"print(2)\n"]
    assert versions[0].sha256 == versions[1].sha256  # the SKILL.md did not change; its folder did


def test_a_folder_over_the_limit_is_refused_whole_naming_its_size_and_the_setting(tmp_path, settings):
    settings.SKILL_BUNDLE_MAX_BYTES = len(SKILL.encode()) + 100
    small = SKILL.replace("pdf", "small").encode()
    root = folder(tmp_path, {"pdf/assets/big.bin": b"x" * 101, "small/SKILL.md": small})

    report = skills_sync_from_folder(root=root)

    size = len(SKILL.encode()) + 101
    assert [(f.path.parent.name, f.message) for f in report.failures] == [
        ("pdf", FOLDER_TOO_LARGE.format(size=size, limit=settings.SKILL_BUNDLE_MAX_BYTES))
    ]
    assert "SKILL_BUNDLE_MAX_BYTES" in report.failures[0].message and f"{size:,} bytes" in report.failures[0].message
    assert list(Skill.objects.values_list("skill_id", flat=True)) == ["small"]  # the others still sync
    assert not SkillVersionFile.objects.exists()


def test_a_folder_that_outgrows_the_limit_keeps_its_published_version(tmp_path, settings):
    root = folder(tmp_path, {"pdf/assets/font.ttf": b"\x00\x01font"})
    skills_sync_from_folder(root=root)
    settings.SKILL_BUNDLE_MAX_BYTES = 200
    (root / "pdf/assets/font.ttf").write_bytes(b"\x00" * 300)

    report = skills_sync_from_folder(root=root)

    assert report.failed == 1 and report.disabled == 0
    skill = Skill.objects.get(pk="pdf")
    assert skill.enabled and skill.versions.count() == 1
    assert bytes(skill.versions.get().files.get().content) == b"\x00\x01font"  # not cut back to SKILL.md


def test_each_file_keeps_its_mode_as_found(tmp_path):
    root = folder(
        tmp_path,
        {"pdf/core/make_gif.py": b"#!/usr/bin/env python3\n", "pdf/scripts/README.md": b"# how\n",
         "pdf/assets/logo.png": bytes(range(256))},
    )  # fmt: skip
    (root / "pdf/core/make_gif.py").chmod(0o755)
    (root / "pdf/scripts/README.md").chmod(0o644)
    skills_sync_from_folder(root=root)
    version = Skill.objects.get(pk="pdf").versions.get()
    assert dict(version.files.values_list("path", "executable")) == {
        "assets/logo.png": False,
        "core/make_gif.py": True,
        "scripts/README.md": False,
    }
    assert bytes(version.files.get(path="assets/logo.png").content) == bytes(range(256))

    (root / "pdf/scripts/README.md").chmod(0o755)  # a mode alone is a change of the folder
    assert skills_sync_from_folder(root=root).updated == 1
    assert Skill.objects.get(pk="pdf").versions.get(is_current=True).files.get(path="scripts/README.md").executable


def test_the_sync_command_exits_non_zero_naming_the_refused_folder(tmp_path, settings):
    settings.SKILL_BUNDLE_MAX_BYTES = len(SKILL.encode()) + 10
    root = folder(tmp_path, {"pdf/assets/big.bin": b"x" * 11})
    errors = io.StringIO()
    with pytest.raises(CommandError):
        call_command("sync_skills", str(root), stderr=errors, stdout=io.StringIO())
    assert "FAILED" in errors.getvalue() and "SKILL_BUNDLE_MAX_BYTES" in errors.getvalue()
