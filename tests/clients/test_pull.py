"""skillsite_pull against a live server: pull, a new version, pull again, revoke."""

import json
import subprocess
import sys

import pytest

from skills.models import Tier
from skills.services.bundles import BundleFile
from skills.services.registry import skill_unlock_grant, skill_unlock_revoke, skill_version_publish
from skills.services.sync.folder import skills_sync_from_folder
from skills.services.sync.skill_file import FOLDER_TOO_LARGE
from tests.clients.conftest import CLIENTS, load_client
from tests.factories import SkillFactory, api_key_of

pull_client = load_client("skillsite_pull")

pytestmark = pytest.mark.django_db(transaction=True)

FOUNDATIONAL_SKILL = "---\nname: {name}\ndescription: Test.\nmetadata:\n  tier: foundational\n---\nRun core/make.py\n"


def publish(skill, version, body, files=None):
    content = f"---\nname: {skill.skill_id}\ndescription: test\n---\n{body}\n"
    return skill_version_publish(skill=skill, version=version, content=content, files=files)


def test_pull_downloads_only_what_changed_and_removes_what_was_revoked(live_server, user, tmp_path):
    token = api_key_of(user, "pull")
    basics = SkillFactory(skill_id="basics", tier=Tier.FOUNDATIONAL)
    publish(basics, "1.0.0", "Basics v1")
    pdf = SkillFactory(skill_id="pdf")
    script = BundleFile.from_bytes("scripts/extract.py", b"print('v1')\n", executable=True)
    publish(pdf, "1.0.0", "PDF v1", files=[script])
    locked = SkillFactory(skill_id="locked")
    publish(locked, "1.0.0", "not for you")
    skill_unlock_grant(user=user, skill_id=pdf.skill_id)
    (tmp_path / "my-own").mkdir()
    (tmp_path / "my-own" / "SKILL.md").write_text("mine")

    first = pull_client.pull(base_url=live_server.url, token=token, dest=tmp_path)

    assert first == {"downloaded": ["basics", "pdf"], "unchanged": [], "removed": [], "skipped": [], "kept": []}
    assert "Basics v1" in (tmp_path / "basics" / "SKILL.md").read_text()
    script = tmp_path / "pdf" / "scripts" / "extract.py"
    assert script.read_text() == "print('v1')\n" and script.stat().st_mode & 0o111
    assert not (tmp_path / "locked").exists()

    publish(basics, "1.1.0", "Basics v2")
    second = pull_client.pull(base_url=live_server.url, token=token, dest=tmp_path)

    assert second == {"downloaded": ["basics"], "unchanged": ["pdf"], "removed": [], "skipped": [], "kept": []}
    assert "Basics v2" in (tmp_path / "basics" / "SKILL.md").read_text()
    assert json.loads((tmp_path / ".skillsite.json").read_text())["skills"]["basics"]["version"] == "1.1.0"

    skill_unlock_revoke(user=user, skill_id=pdf.skill_id)
    third = pull_client.pull(base_url=live_server.url, token=token, dest=tmp_path)

    assert third == {"downloaded": [], "unchanged": ["basics"], "removed": ["pdf"], "skipped": [], "kept": []}
    assert not (tmp_path / "pdf").exists()
    assert (tmp_path / "my-own" / "SKILL.md").read_text() == "mine"  # never touched


def test_the_command_line(live_server, user, tmp_path):
    token = api_key_of(user, "pull")
    publish(SkillFactory(skill_id="basics", tier=Tier.FOUNDATIONAL), "1.0.0", "Basics")
    command = [sys.executable, str(CLIENTS / "skillsite_pull.py"), "--url", live_server.url, "--dest", str(tmp_path)]
    done = subprocess.run(command, env={"SKILLSITE_TOKEN": token}, capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout) == (0, "downloaded: basics\n")
    refused = subprocess.run(command, env={"SKILLSITE_TOKEN": "wrong"}, capture_output=True, text=True, timeout=60)
    assert refused.returncode == 1 and "401" in refused.stderr


def test_modes_and_bytes_survive_sync_bundle_and_pull_and_an_oversized_folder_is_refused(
    live_server, user, tmp_path, settings
):
    source, dest = tmp_path / "source", tmp_path / "skills"
    files = {
        "gif/SKILL.md": FOUNDATIONAL_SKILL.format(name="gif").encode(),
        "gif/core/make.py": b"#!/usr/bin/env python3\nprint('gif')\n",  # executable outside scripts/
        "gif/scripts/NOTES.md": b"# not a program\n",  # plain inside scripts/
        "gif/assets/font.ttf": bytes(range(256)) * 4,  # binary
        "fonts/SKILL.md": FOUNDATIONAL_SKILL.format(name="fonts").encode(),
        "fonts/assets/big.otf": b"\x00" * 5000,
    }
    for path, data in files.items():
        (source / path).parent.mkdir(parents=True, exist_ok=True)
        (source / path).write_bytes(data)
        (source / path).chmod(0o755 if path == "gif/core/make.py" else 0o644)
    settings.SKILL_BUNDLE_MAX_BYTES = 4096

    report = skills_sync_from_folder(root=source)

    assert [(f.path.parent.name, f.message) for f in report.failures] == [
        ("fonts", FOLDER_TOO_LARGE.format(size=len(files["fonts/SKILL.md"]) + 5000, limit=4096))
    ]
    pulled = pull_client.pull(base_url=live_server.url, token=api_key_of(user, "pull"), dest=dest)
    assert pulled["downloaded"] == ["gif"]
    for path, data in files.items():
        if path.startswith("gif/"):
            assert (dest / path).read_bytes() == data, path
            assert (dest / path).stat().st_mode & 0o777 == (source / path).stat().st_mode & 0o777, path
    assert not (dest / "fonts").exists()
