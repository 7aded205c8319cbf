"""sync_skills keeps a skill folder's other files (scripts/, references/, assets/) per version."""

from pathlib import Path

import pytest

from skills.models import Skill, SkillVersionFile
from skills.services.sync.folder import skills_sync_from_folder
from skills.services.sync.skill_file import FILES_TOO_LARGE

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


def test_files_over_the_limit_are_refused_with_a_warning(tmp_path, settings):
    settings.SKILL_BUNDLE_MAX_BYTES = 100
    root = folder(tmp_path, {"pdf/assets/big.bin": b"x" * 101})
    report = skills_sync_from_folder(root=root)
    assert report.created == 1
    assert [w.message for w in report.warnings] == [FILES_TOO_LARGE.format(size=101, limit=100)]
    assert not SkillVersionFile.objects.exists()
    assert Skill.objects.get(pk="pdf").versions.get().bundle_sha256 == ""
