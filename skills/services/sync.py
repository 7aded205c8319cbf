"""Registry sync from a folder of Agent Skills (`ROOT/<name>/SKILL.md`).

The front matter is parsed with PyYAML (`safe_load`), which reads every valid YAML
(flow sequences, folded and literal blocks). skillsite's own properties live in
`metadata` (version, tier, category, trust_level, triggers, display_name; also
accepted at the top level); everything else is kept in `Skill.meta`. The spec's
reference validator (`skills-ref`) is run too, and its findings are warnings only:
real, widely used skills break the letter of the spec.

Each skill is written in its own transaction, so one bad file does not stop the
others, and an unchanged file (same sha256) writes nothing at all.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from django.core.exceptions import ValidationError
from django.db import transaction
from skills_ref.validator import validate_metadata

from skills.models import Skill, Tier, validate_semver

from .registry import next_patch_version, skill_version_publish

NO_FRONT_MATTER = "no YAML front matter (the file must start with a '---' line and close it with another)"
NOT_YAML = "front matter is not valid YAML: {error}"
NOT_A_MAPPING = "front matter must be a YAML mapping of fields"
MISSING_FIELD = "missing required field '{field}'"
BAD_TIER = "tier '{value}' is not one of " + ", ".join(Tier.values)
BAD_TRUST = "trust_level '{value}' must be an integer from 1 to 5"
BAD_VERSION = "version '{value}' is not a semantic version (MAJOR.MINOR.PATCH)"
VERSION_TAKEN = "version {version} already exists; published as {published} instead"
OWN_PROPERTIES = ("version", "tier", "category", "trust_level", "triggers", "display_name")


class SkillFileError(Exception):
    pass


@dataclass
class SyncReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    disabled: int = 0
    failures: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"created {self.created}, updated {self.updated}, unchanged {self.unchanged}, "
            f"disabled {self.disabled}, failed {len(self.failures)}"
        )


@dataclass
class SkillFile:
    path: Path
    text: str
    sha256: str
    front: dict

    @property
    def own(self) -> dict:
        """skillsite's properties: from `metadata`, else from the top level."""
        metadata = self.front.get("metadata") if isinstance(self.front.get("metadata"), dict) else {}
        return {key: metadata.get(key, self.front.get(key)) for key in OWN_PROPERTIES}


def read_skill_file(path: Path) -> SkillFile:
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---" or "---" not in (line.strip() for line in lines[1:]):
        raise SkillFileError(NO_FRONT_MATTER)
    end = next(i for i, line in enumerate(lines[1:], start=1) if line.strip() == "---")
    try:
        front = yaml.safe_load("\n".join(lines[1:end]))
    except yaml.YAMLError as error:
        raise SkillFileError(NOT_YAML.format(error=" ".join(str(error).split()))) from error
    if not isinstance(front, dict):
        raise SkillFileError(NOT_A_MAPPING)
    for required in ("name", "description"):
        if not isinstance(front.get(required), str) or not front[required].strip():
            raise SkillFileError(MISSING_FIELD.format(field=required))
    return SkillFile(path, text, hashlib.sha256(text.encode("utf-8")).hexdigest(), front)


def _triggers(value) -> list[str]:
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    return [part.strip() for part in str(value or "").split(",") if part.strip()]


def skill_fields(skill_file: SkillFile) -> dict:
    """The Skill columns a file sets; raises SkillFileError naming a bad value."""
    own = skill_file.own
    tier = str(own["tier"] or Tier.STANDARD).strip().lower()
    if tier not in Tier.values:
        raise SkillFileError(BAD_TIER.format(value=own["tier"]))
    try:
        trust = int(str(own["trust_level"] if own["trust_level"] is not None else 3))
    except ValueError:
        trust = 0
    if not 1 <= trust <= 5:
        raise SkillFileError(BAD_TRUST.format(value=own["trust_level"]))
    if own["version"] is not None:
        try:
            validate_semver(str(own["version"]))
        except ValidationError as error:
            raise SkillFileError(BAD_VERSION.format(value=own["version"])) from error
    name = skill_file.front["name"].strip()
    meta = {k: v for k, v in skill_file.front.items() if k not in {"name", "description", "metadata", *OWN_PROPERTIES}}
    metadata = skill_file.front.get("metadata") if isinstance(skill_file.front.get("metadata"), dict) else {}
    meta.update({k: v for k, v in metadata.items() if k not in OWN_PROPERTIES})
    meta["triggers"] = _triggers(own["triggers"])
    return {
        "display_name": str(own["display_name"] or name.replace("-", " ").title())[:200],
        "description": " ".join(skill_file.front["description"].split()),
        "tier": tier,
        "category": str(own["category"] or "")[:100],
        "trust_level": trust,
        "meta": meta,
    }


def _spec_warnings(skill_file: SkillFile) -> list[str]:
    problems = validate_metadata(skill_file.front, skill_file.path.parent)
    return [f"{skill_file.path}: {problem}" for problem in problems]


@transaction.atomic
def _sync_one(skill_file: SkillFile, report: SyncReport, created_by) -> None:
    fields = skill_fields(skill_file)
    skill_id = skill_file.front["name"].strip()
    skill = Skill.objects.select_for_update().filter(skill_id=skill_id).first()
    if skill is not None and skill.sha256 == skill_file.sha256 and skill.enabled:
        report.unchanged += 1
        return
    if skill is None:
        skill = Skill(skill_id=skill_id)
        report.created += 1
    else:
        report.updated += 1
    for name, value in fields.items():
        setattr(skill, name, value)
    skill.enabled = True
    skill.source_path = str(skill_file.path.parent)
    skill.full_clean()
    if skill.sha256 != skill_file.sha256:
        skill.sha256 = skill_file.sha256
        skill.save()
        _publish(skill, skill_file, report, created_by)
    else:
        skill.save()


def _publish(skill: Skill, skill_file: SkillFile, report: SyncReport, created_by) -> None:
    wanted = str(skill_file.own["version"]) if skill_file.own["version"] is not None else None
    version = wanted or next_patch_version(skill)
    if wanted and skill.versions.filter(version=wanted).exists():
        version = next_patch_version(skill)
        report.warnings.append(f"{skill_file.path}: {VERSION_TAKEN.format(version=wanted, published=version)}")
    skill_version_publish(
        skill=skill, content=skill_file.text, version=version, changelog="synced", created_by=created_by
    )


def _disable_removed(root: Path, present: set[str], report: SyncReport) -> None:
    """Skills synced from this folder whose folder is gone: disabled, never deleted."""
    prefix = str(root.resolve())
    for skill in Skill.objects.filter(enabled=True).exclude(source_path="").exclude(skill_id__in=present):
        if skill.source_path == prefix or skill.source_path.startswith(prefix + "/"):
            skill.enabled = False
            skill.save(update_fields=["enabled", "updated_at"])
            report.disabled += 1


def skills_sync_from_folder(*, root: Path, created_by=None) -> SyncReport:
    report = SyncReport()
    root = Path(root).resolve()
    present: set[str] = set()
    for path in sorted(root.glob("*/SKILL.md")):
        try:
            skill_file = read_skill_file(path)
            if skill_file.front["name"].strip() in present:
                raise SkillFileError(f"another folder already defines skill '{skill_file.front['name']}'")
            present.add(skill_file.front["name"].strip())
            report.warnings.extend(_spec_warnings(skill_file))
            _sync_one(skill_file, report, created_by)
        except (SkillFileError, ValidationError, UnicodeDecodeError) as error:
            message = "; ".join(error.messages) if isinstance(error, ValidationError) else str(error)
            report.failures.append(f"{path}: {message}")
    _disable_removed(root, present, report)
    return report


__all__ = ["SyncReport", "skills_sync_from_folder"]
