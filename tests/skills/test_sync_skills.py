"""sync_skills: a folder of real-looking Agent Skills into the registry."""

from __future__ import annotations

from dataclasses import dataclass
from io import StringIO
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from skills.management.commands.sync_skills import SOME_FAILED
from skills.models import Skill, SkillVersion, Tier
from skills.services.sync import folder as sync_folder
from skills.services.sync.folder import (
    DUPLICATE_NAME,
    NO_SKILLS_FOUND,
    NOT_A_FOLDER,
    STAYS_DISABLED,
    VERSION_TAKEN,
    skills_sync_from_folder,
)
from skills.services.sync.skill_file import (
    BAD_TIER,
    BAD_TRUST,
    BAD_VERSION,
    METADATA_NOT_A_MAPPING,
    MISSING_FIELD,
    NO_FRONT_MATTER,
    NOT_A_MAPPING,
    NOT_UTF8,
    NOT_YAML,
    UNCLOSED_FRONT_MATTER,
)

pytestmark = pytest.mark.django_db

# Folded description, flow sequence, spec fields, our properties in `metadata` as strings.
PDF = """\
---
name: pdf-extract
description: >
  Extracts text and tables from PDF files.
  Use when the user hands over a PDF.
license: Apache-2.0
compatibility: Needs Python 3.10+ and pdfplumber
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

# Literal description; no version, trust level or display name.
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

# Our properties at the top level, triggers as a YAML list, a multi-line metadata value.
SQL = """\
---
name: sql-tuning
description: Tunes slow SQL queries.
version: 2.1.0
tier: expert
category: databases
trust_level: 4
display_name: SQL tuning
triggers:
  - slow query
  - index
metadata:
  notes: |
    Reads EXPLAIN plans.
    Suggests indexes.
---
Tune it.
"""


@dataclass
class Result:
    out: str
    err: str
    exit_code: int


def write(root: Path, folder: str, text: str) -> Path:
    (root / folder).mkdir(parents=True, exist_ok=True)
    path = root / folder / "SKILL.md"
    path.write_text(text)
    return path


def remove(root: Path, folder: str) -> None:
    (root / folder / "SKILL.md").unlink()
    (root / folder).rmdir()


def run(root: Path, **options) -> Result:
    out, err = StringIO(), StringIO()
    try:
        call_command("sync_skills", str(root), stdout=out, stderr=err, **options)
        exit_code = 0
    except CommandError as error:
        err.write(str(error))
        exit_code = error.returncode
    return Result(out.getvalue(), err.getvalue(), exit_code)


@pytest.fixture
def registry(tmp_path: Path) -> Path:
    root = tmp_path / "skills"
    write(root, "pdf-extract", PDF)
    write(root, "code-review", REVIEW)
    write(root, "sql-tuning", SQL)
    return root


def current(skill_id: str) -> SkillVersion:
    return SkillVersion.objects.get(skill_id=skill_id, is_current=True)


def test_new_skills_are_created_with_their_first_version(registry):
    result = run(registry)
    assert result.exit_code == 0
    assert result.out.strip() == "created 3, updated 0, unchanged 0, disabled 0, failed 0"
    assert "FAILED" not in result.err
    pdf = Skill.objects.get(skill_id="pdf-extract")
    assert (pdf.display_name, pdf.tier, pdf.category, pdf.trust_level) == (
        "Pdf Extract",
        Tier.FOUNDATIONAL,
        "documents",
        5,
    )
    assert pdf.enabled and pdf.source_path == str((registry / "pdf-extract").resolve())
    assert pdf.description == "Extracts text and tables from PDF files. Use when the user hands over a PDF."
    assert pdf.meta == {
        "license": "Apache-2.0",
        "compatibility": "Needs Python 3.10+ and pdfplumber",
        "allowed-tools": ["Read", "Grep"],
        "author": "docs-team",
        "triggers": ["pdf", "extract", "tables"],
    }
    version = pdf.versions.get()
    assert (version.version, version.is_current, version.content) == ("1.2.0", True, PDF)
    assert pdf.sha256 == version.sha256 != ""


def test_a_literal_description_keeps_its_lines_and_a_missing_version_starts_at_1_0_0(registry):
    run(registry)
    review = Skill.objects.get(skill_id="code-review")
    assert review.description == "Reviews a diff.\nPoints out bugs first, style last."
    assert (review.trust_level, review.meta) == (3, {"triggers": []})
    assert current("code-review").version == "1.0.0"


def test_properties_at_the_top_level_and_triggers_as_a_list_are_accepted(registry):
    result = run(registry)
    sql = Skill.objects.get(skill_id="sql-tuning")
    assert (sql.display_name, sql.tier, sql.category, sql.trust_level) == ("SQL tuning", Tier.EXPERT, "databases", 4)
    assert sql.meta == {"triggers": ["slow query", "index"], "notes": "Reads EXPLAIN plans.\nSuggests indexes.\n"}
    assert current("sql-tuning").version == "2.1.0"
    # The spec wants them in `metadata`: a warning, not a failure.
    assert f"WARNING {registry.resolve() / 'sql-tuning' / 'SKILL.md'}: Unexpected fields in frontmatter" in result.err


def test_a_second_run_writes_nothing(registry, django_assert_num_queries):
    run(registry)
    before = dict(Skill.objects.values_list("skill_id", "updated_at"))
    # 1: the stored sha256 and folder of every file's skill; 2: the enabled skills of this folder.
    with django_assert_num_queries(2) as captured:
        result = run(registry)
    assert result.out.strip() == "created 0, updated 0, unchanged 3, disabled 0, failed 0"
    assert not [q["sql"] for q in captured if q["sql"].lstrip().split()[0].upper() in {"INSERT", "UPDATE", "DELETE"}]
    assert dict(Skill.objects.values_list("skill_id", "updated_at")) == before
    assert SkillVersion.objects.count() == 3


def test_an_edited_skill_gets_the_next_patch_version_and_keeps_the_old_one(registry):
    run(registry)
    edited = REVIEW.replace("style last.", "style last, praise always.").replace("Review carefully.", "Be kind.")
    write(registry, "code-review", edited)
    result = run(registry)
    assert result.out.strip() == "created 0, updated 1, unchanged 2, disabled 0, failed 0"
    versions = {v.version: (v.is_current, v.content) for v in SkillVersion.objects.filter(skill_id="code-review")}
    assert versions == {"1.0.0": (False, REVIEW), "1.0.1": (True, edited)}
    review = Skill.objects.get(skill_id="code-review")
    assert review.description.endswith("praise always.") and review.sha256 == current("code-review").sha256


def test_an_explicit_version_bump_is_used(registry):
    run(registry)
    write(registry, "pdf-extract", PDF.replace('version: "1.2.0"', 'version: "2.0.0"'))
    result = run(registry)
    assert "updated 1" in result.out and "pdf-extract" not in result.err
    assert current("pdf-extract").version == "2.0.0"
    assert list(
        SkillVersion.objects.filter(skill_id="pdf-extract").values_list("version", flat=True).order_by("id")
    ) == [
        "1.2.0",
        "2.0.0",
    ]


def test_an_edit_that_keeps_its_declared_version_gets_the_next_patch_and_a_warning(registry):
    run(registry)
    path = write(registry, "pdf-extract", PDF.replace("1. Open the file.", "1. Open the file.\n2. Read it."))
    result = run(registry)
    assert current("pdf-extract").version == "1.2.1"
    warning = VERSION_TAKEN.format(version="1.2.0", published="1.2.1")
    assert f"WARNING {path.resolve()}: {warning}" in result.err
    assert result.exit_code == 0


def test_a_removed_skill_is_disabled_not_deleted_and_comes_back_when_its_folder_does(registry):
    run(registry)
    remove(registry, "code-review")
    result = run(registry)
    assert result.out.strip() == "created 0, updated 0, unchanged 2, disabled 1, failed 0"
    review = Skill.objects.get(skill_id="code-review")
    assert review.enabled is False and review.versions.count() == 1

    write(registry, "code-review", REVIEW)
    result = run(registry)
    assert result.out.strip() == "created 0, updated 1, unchanged 2, disabled 0, failed 0"
    review.refresh_from_db()
    # Same content as before: re-enabled, and no new version for it.
    assert review.enabled and review.versions.get().is_current
    assert "unchanged 3" in run(registry).out


def test_skills_not_synced_from_this_folder_are_left_alone(registry, tmp_path):
    composite = Skill.objects.create(skill_id="composite-a-b", display_name="a + b", tier=Tier.COMPOSITE)
    elsewhere = Skill.objects.create(
        skill_id="other-skill", display_name="Other", sha256="f" * 64, source_path=str(tmp_path / "other" / "x")
    )
    result = run(registry)
    assert "disabled 0" in result.out
    composite.refresh_from_db()
    elsewhere.refresh_from_db()
    assert composite.enabled and elsewhere.enabled


def test_a_skill_an_admin_disabled_stays_disabled(registry):
    run(registry)
    Skill.objects.filter(skill_id="code-review").update(enabled=False)
    assert "unchanged 3" in run(registry).out
    path = write(registry, "code-review", REVIEW.replace("Review carefully.", "Review twice."))
    result = run(registry)
    assert f"WARNING {path.resolve()}: {STAYS_DISABLED}" in result.err
    assert current("code-review").version == "1.0.1"
    assert Skill.objects.get(skill_id="code-review").enabled is False


def test_a_skill_registered_from_telemetry_is_adopted_when_its_file_arrives(registry):
    Skill.objects.create(skill_id="code-review", display_name="code-review", enabled=False, description="Unknown")
    result = run(registry)
    assert "created 2, updated 1" in result.out
    review = Skill.objects.get(skill_id="code-review")
    assert (review.enabled, review.display_name, review.tier) == (True, "Code Review", Tier.ADVANCED)
    assert current("code-review").version == "1.0.0"


def test_fields_the_file_does_not_declare_keep_their_registry_value(registry):
    run(registry)
    # An admin lowers the trust level (the file never sets it) and changes the tier (the file sets it).
    Skill.objects.filter(skill_id="code-review").update(trust_level=1, tier=Tier.EXPERT)
    write(registry, "code-review", REVIEW.replace("Review carefully.", "Review twice."))
    run(registry)
    review = Skill.objects.get(skill_id="code-review")
    assert (review.trust_level, review.tier) == (1, Tier.ADVANCED)


MALFORMED = [
    pytest.param("---\nname: broken\n---\nno description\n", MISSING_FIELD.format(field="description"), id="no-desc"),
    pytest.param("---\ndescription: Nameless.\n---\n", MISSING_FIELD.format(field="name"), id="no-name"),
    pytest.param(
        "---\nname: broken\ndescription: [unclosed\n---\n", NOT_YAML.format(where=" (line 4)", problem=""), id="yaml"
    ),
    pytest.param("# Just markdown\n\nNo front matter here.\n", NO_FRONT_MATTER, id="no-front-matter"),
    pytest.param("---\nname: broken\ndescription: x\n", UNCLOSED_FRONT_MATTER, id="unclosed"),
    pytest.param("---\n- name\n- description\n---\n", NOT_A_MAPPING, id="list"),
    pytest.param("---\nname: broken\ndescription: x\nmetadata: v1\n---\n", METADATA_NOT_A_MAPPING, id="metadata"),
    pytest.param(
        "---\nname: broken\ndescription: x\nmetadata:\n  tier: legendary\n---\n",
        BAD_TIER.format(value="legendary"),
        id="tier",
    ),
    pytest.param(
        "---\nname: broken\ndescription: x\nmetadata:\n  trust_level: '9'\n---\n", BAD_TRUST.format(value="9"), id="9"
    ),
    pytest.param("---\nname: broken\ndescription: x\ntrust_level: yes\n---\n", BAD_TRUST.format(value=True), id="yes"),
    pytest.param(
        "---\nname: broken\ndescription: x\nmetadata:\n  version: '1.0'\n---\n",
        BAD_VERSION.format(value="1.0"),
        id="version",
    ),
    pytest.param("---\nname: Not A Slug!\ndescription: x\n---\n", "skill_id: ", id="slug"),
]


@pytest.mark.parametrize("text, reason", MALFORMED)
def test_a_malformed_file_fails_with_its_path_and_reason_and_the_others_still_sync(registry, text, reason):
    path = write(registry, "broken", text)
    result = run(registry)
    assert result.exit_code == 1
    assert f"FAILED {path.resolve()}: {reason}" in result.err
    assert SOME_FAILED.format(count=1) in result.err
    assert result.out.strip() == "created 3, updated 0, unchanged 0, disabled 0, failed 1"
    assert set(Skill.objects.values_list("skill_id", flat=True)) == {"pdf-extract", "code-review", "sql-tuning"}


def test_a_file_that_is_not_utf8_fails(registry):
    (registry / "latin").mkdir()
    (registry / "latin" / "SKILL.md").write_bytes("---\nname: latin\ndescription: café\n---\n".encode("latin-1"))
    result = run(registry)
    assert f"FAILED {(registry / 'latin' / 'SKILL.md').resolve()}: {NOT_UTF8}" in result.err
    assert result.exit_code == 1 and "created 3" in result.out


def test_a_broken_edit_keeps_the_skill_enabled_at_its_current_version(registry):
    run(registry)
    write(registry, "code-review", "---\nname: code-review\ndescription: [oops\n---\n")
    result = run(registry)
    assert result.out.strip() == "created 0, updated 0, unchanged 2, disabled 0, failed 1"
    review = Skill.objects.get(skill_id="code-review")
    assert review.enabled and current("code-review").content == REVIEW


def test_a_renamed_skill_disables_the_old_name(registry):
    run(registry)
    write(registry, "code-review", REVIEW.replace("name: code-review", "name: diff-review"))
    result = run(registry)
    assert "created 1" in result.out and "disabled 1" in result.out
    assert Skill.objects.get(skill_id="code-review").enabled is False
    assert Skill.objects.get(skill_id="diff-review").enabled


def test_two_folders_with_one_name_fail_the_second(registry):
    path = write(registry, "zz-copy", PDF)
    result = run(registry)
    first = (registry / "pdf-extract" / "SKILL.md").resolve()
    assert f"FAILED {path.resolve()}: {DUPLICATE_NAME.format(name='pdf-extract', other=first)}" in result.err
    assert Skill.objects.get(skill_id="pdf-extract").source_path == str(first.parent)


def test_each_skill_is_written_in_its_own_transaction(registry, monkeypatch):
    publish = sync_folder.skill_version_publish

    def publish_failing_for_review(*, skill, **kwargs):
        if skill.skill_id == "code-review":
            raise ValidationError({"version": "storage full"})
        return publish(skill=skill, **kwargs)

    monkeypatch.setattr(sync_folder, "skill_version_publish", publish_failing_for_review)
    result = run(registry)
    assert f"FAILED {(registry / 'code-review' / 'SKILL.md').resolve()}: version: storage full" in result.err
    # The skill row written before the failing publish was rolled back with it; the others stay.
    assert set(Skill.objects.values_list("skill_id", flat=True)) == {"pdf-extract", "sql-tuning"}
    assert result.out.strip() == "created 2, updated 0, unchanged 0, disabled 0, failed 1"


def test_spec_findings_are_warnings_and_the_skill_still_syncs(registry):
    description = "Drafts release notes from merged pull requests. " * 25  # 1,225 characters
    path = write(registry, "notes", f"---\nname: release-notes\ndescription: {description}\n---\nBody\n")
    result = run(registry)
    assert result.exit_code == 0 and "created 4" in result.out
    assert f"WARNING {path.resolve()}: Description exceeds 1024 character limit" in result.err
    assert f"WARNING {path.resolve()}: Directory name 'notes' must match skill name 'release-notes'" in result.err
    assert Skill.objects.get(skill_id="release-notes").description == description.strip()


def test_yaml_values_json_has_no_type_for_are_kept_as_text(registry):
    write(registry, "dated", "---\nname: dated\ndescription: x\nmetadata:\n  released: 2024-05-01\n---\n")
    run(registry)
    assert Skill.objects.get(skill_id="dated").meta["released"] == "2024-05-01"


def test_a_folder_with_no_skills_disables_nothing(registry):
    run(registry)
    for folder in ("pdf-extract", "code-review", "sql-tuning"):
        remove(registry, folder)
    result = run(registry)
    # Likelier an unmounted volume than "remove every skill".
    assert f"WARNING {registry.resolve()}: {NO_SKILLS_FOUND}" in result.err
    assert "disabled 0" in result.out and Skill.objects.filter(enabled=True).count() == 3


def test_the_summary_counts_every_outcome(registry):
    run(registry)
    write(registry, "new-skill", "---\nname: new-skill\ndescription: New.\n---\n")
    write(registry, "code-review", REVIEW + "\nMore.\n")
    remove(registry, "sql-tuning")
    write(registry, "broken", "---\nname: broken\n---\n")
    result = run(registry)
    assert result.out.strip() == "created 1, updated 1, unchanged 1, disabled 1, failed 1"
    assert result.exit_code == 1


def test_the_service_records_who_synced_and_reports_problems(registry, user):
    write(registry, "broken", "no front matter\n")
    report = skills_sync_from_folder(root=registry, created_by=user)
    assert (report.created, report.failed) == (3, 1)
    assert report.failures[0].path == (registry / "broken" / "SKILL.md").resolve()
    assert report.failures[0].message == NO_FRONT_MATTER
    assert set(SkillVersion.objects.values_list("created_by", flat=True)) == {user.pk}


def test_a_path_that_is_not_a_folder_is_an_error(tmp_path):
    with pytest.raises(CommandError, match="is not a folder"):
        call_command("sync_skills", str(tmp_path / "missing"))
    assert NOT_A_FOLDER.format(root="x").endswith("is not a folder")
