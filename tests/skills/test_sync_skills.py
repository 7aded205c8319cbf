"""sync_skills: a folder of real-looking Agent Skills into the registry."""

import textwrap

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from skills.models import Skill, SkillVersion, Tier
from skills.services.sync import MISSING_FIELD, NO_FRONT_MATTER, skills_sync_from_folder

pytestmark = pytest.mark.django_db

PDF = """\
---
name: pdf-extract
description: >
  Extracts text and tables from PDF files.
  Use when the user hands over a PDF.
license: Apache-2.0
allowed-tools: [Read, Grep]
metadata:
  version: "1.2.0"
  tier: foundational
  category: documents
  trust_level: "5"
  triggers: pdf, extract, tables
  author: docs-team
---
# PDF extract

1. Open the file.
"""

REVIEW = """\
---
name: code-review
description: |
  Reviews a diff.
  Points out bugs first, style last.
metadata:
  tier: advanced
  category: engineering
---
Review carefully.
"""


def write(root, folder: str, text: str):
    (root / folder).mkdir(parents=True, exist_ok=True)
    (root / folder / "SKILL.md").write_text(textwrap.dedent(text))


@pytest.fixture
def registry(tmp_path):
    write(tmp_path, "pdf-extract", PDF)
    write(tmp_path, "code-review", REVIEW)
    return tmp_path


def run(root, capsys) -> tuple[str, str, bool]:
    failed = False
    try:
        call_command("sync_skills", str(root))
    except CommandError:
        failed = True
    out, err = capsys.readouterr()
    return out, err, failed


def test_new_skills_are_created_with_a_first_version(registry, capsys):
    out, err, failed = run(registry, capsys)
    assert not failed and "created 2, updated 0, unchanged 0, disabled 0, failed 0" in out
    pdf = Skill.objects.get(skill_id="pdf-extract")
    assert (pdf.tier, pdf.category, pdf.trust_level, pdf.enabled) == (Tier.FOUNDATIONAL, "documents", 5, True)
    assert pdf.description == "Extracts text and tables from PDF files. Use when the user hands over a PDF."
    assert pdf.meta["triggers"] == ["pdf", "extract", "tables"]
    assert pdf.meta["allowed-tools"] == ["Read", "Grep"] and pdf.meta["author"] == "docs-team"
    assert pdf.versions.get().version == "1.2.0" and pdf.versions.get().is_current
    review = Skill.objects.get(skill_id="code-review")
    assert review.description == "Reviews a diff. Points out bugs first, style last."
    assert review.versions.get().version == "1.0.0"


def test_a_second_run_writes_nothing(registry, capsys):
    run(registry, capsys)
    with CaptureQueriesContext(connection) as queries:
        report = skills_sync_from_folder(root=registry)
    writes = [q["sql"] for q in queries if q["sql"].split()[0].upper() in {"INSERT", "UPDATE", "DELETE"}]
    assert writes == []
    assert (report.created, report.updated, report.unchanged) == (0, 0, 2)


def test_an_edited_skill_gets_a_new_current_version_and_keeps_the_old(registry, capsys):
    run(registry, capsys)
    write(registry, "code-review", REVIEW.replace("Review carefully.", "Review very carefully."))
    out, _err, failed = run(registry, capsys)
    assert not failed and "created 0, updated 1, unchanged 1" in out
    versions = dict(SkillVersion.objects.filter(skill_id="code-review").values_list("version", "is_current"))
    assert versions == {"1.0.0": False, "1.0.1": True}


def test_an_explicit_version_bump_is_used(registry, capsys):
    run(registry, capsys)
    write(registry, "pdf-extract", PDF.replace('version: "1.2.0"', 'version: "2.0.0"'))
    run(registry, capsys)
    assert Skill.objects.get(skill_id="pdf-extract").versions.get(is_current=True).version == "2.0.0"


def test_a_removed_skill_is_disabled_not_deleted(registry, capsys):
    run(registry, capsys)
    (registry / "code-review" / "SKILL.md").unlink()
    (registry / "code-review").rmdir()
    out, _err, _failed = run(registry, capsys)
    assert "disabled 1" in out
    assert Skill.objects.get(skill_id="code-review").enabled is False
    write(registry, "code-review", REVIEW)
    out, _err, _failed = run(registry, capsys)
    assert "updated 1" in out and Skill.objects.get(skill_id="code-review").enabled


def test_skills_not_from_files_are_left_alone(registry, capsys):
    Skill.objects.create(skill_id="from-telemetry", display_name="x", enabled=True)
    run(registry, capsys)
    assert Skill.objects.get(skill_id="from-telemetry").enabled


@pytest.mark.parametrize(
    "text, reason",
    [
        ("---\nname: broken\n---\nno description\n", MISSING_FIELD.format(field="description")),
        ("---\nname: broken\ndescription: [unclosed\n---\n", "front matter is not valid YAML"),
        ("# Just markdown\n\nNo front matter here.\n", NO_FRONT_MATTER),
        ("---\nname: broken\ndescription: x\nmetadata:\n  tier: legendary\n---\n", "tier 'legendary' is not one of"),
        ("---\nname: broken\ndescription: x\nmetadata:\n  trust_level: '9'\n---\n", "trust_level '9'"),
        ("---\nname: broken\ndescription: x\nmetadata:\n  version: v1\n---\n", "version 'v1' is not a semantic"),
    ],
)
def test_a_malformed_file_fails_with_its_path_and_reason_and_the_others_still_sync(registry, capsys, text, reason):
    write(registry, "broken", text)
    out, err, failed = run(registry, capsys)
    assert failed
    assert f"FAILED {registry / 'broken' / 'SKILL.md'}: {reason}" in err
    assert "created 2" in out and "failed 1" in out
    assert set(Skill.objects.values_list("skill_id", flat=True)) == {"pdf-extract", "code-review"}


def test_spec_findings_are_warnings_and_the_skill_still_syncs(registry, capsys):
    long_description = "Does many things. " * 80  # over the spec's 1,024 characters
    write(registry, "verbose", f"---\nname: verbose\ndescription: {long_description}\n---\nBody\n")
    out, err, failed = run(registry, capsys)
    assert not failed and "created 3" in out
    assert "WARNING" in err and "1024" in err
    assert Skill.objects.filter(skill_id="verbose").exists()
