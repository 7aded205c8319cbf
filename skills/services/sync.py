"""Registry sync from a folder of Agent Skills (`ROOT/<folder>/SKILL.md`).

Reading a file:
- The front matter is parsed with PyYAML `safe_load`, which reads every valid YAML (flow
  sequences such as `allowed-tools: [Read, Grep]`, folded `>` and literal `|` blocks);
  the spec's reference library parses with strictyaml, which refuses some of it.
- skillsite's own properties (version, tier, category, trust_level, triggers, display_name)
  are read from `metadata`, else from the top level, because real skills put them there too.
  `triggers` may be comma-separated or a YAML list. Everything else (license, compatibility,
  allowed-tools, other metadata) is kept in `Skill.meta`.
- `skills-ref` validates against the spec; its findings are warnings, never failures:
  widely used skills break the letter of the spec (descriptions over 1,024 characters).
- A file fails, with its path and reason, when it is not UTF-8 or YAML, has no front
  matter, lacks `name` or `description`, or holds an invalid tier, trust level or version.

Writing (each skill in its own transaction, so one bad file rolls back only itself):
- new name → a skill and its first version (the declared version, else 1.0.0);
- changed file (sha256 differs) → the declared fields updated and a new current version
  (the declared version, else — or if it already exists — the next patch version).
  Fields the file does not declare keep their registry value, so an admin's change to,
  say, the trust level survives edits of a file that never set it;
- unchanged file → nothing written, not even `updated_at`;
- a skill synced from a direct subfolder of ROOT whose folder is gone → disabled, never
  deleted. Skills never synced from a file (empty `source_path`: auto-registered from
  telemetry, composites) are left alone.

`Skill.sha256` is the hash of the file the row mirrors; it is emptied when the file goes
away. That is how a returning folder is told apart from a skill an admin disabled on
purpose: the first is re-enabled, the second stays disabled.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from skills_ref.validator import validate_metadata

from skills.models import Skill, Tier, validate_semver
from skills.progress import NO_PROGRESS, Progress

from .registry import SKILL_MD, bundle_digest, next_patch_version, sha256_text, skill_version_publish

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    Actor = AbstractBaseUser | None

NOT_A_FOLDER = "{root} is not a folder"
NO_SKILLS_FOUND = "no <folder>/SKILL.md found; nothing was disabled (is this the right folder?)"
UNREADABLE = "cannot be read: {error}"
NOT_UTF8 = "is not UTF-8 text"
NUL_CHARACTER = "contains a NUL character, which the database cannot store"
NO_FRONT_MATTER = "no YAML front matter (the file must start with a '---' line)"
UNCLOSED_FRONT_MATTER = "the YAML front matter is not closed by a second '---' line"
NOT_YAML = "front matter is not valid YAML{where}: {problem}"
NOT_A_MAPPING = "front matter must be a YAML mapping of fields"
METADATA_NOT_A_MAPPING = "'metadata' must be a mapping of fields"
MISSING_FIELD = "missing required field '{field}' (a non-empty string)"
BAD_TIER = "tier '{value}' is not one of " + ", ".join(Tier.values)
BAD_TRUST = "trust_level '{value}' must be an integer from 1 to 5"
BAD_VERSION = "version '{value}' is not a semantic version (MAJOR.MINOR.PATCH, e.g. 1.2.0)"
DUPLICATE_NAME = "skill '{name}' is already defined by {other}"
INVALID_VALUE = "{field}: {message}"
CONFLICT = "the registry changed while syncing ({error}); run the sync again"
VERSION_TAKEN = "version {version} already exists; published as {published} instead"
STAYS_DISABLED = "the skill is disabled in the registry and stays disabled"
FILES_TOO_LARGE = (
    "the folder's other files total {size:,} bytes, over the limit of {limit:,} (SKILL_BUNDLE_MAX_BYTES); "
    "only SKILL.md was synced"
)

OWN_PROPERTIES = ("version", "tier", "category", "trust_level", "triggers", "display_name")
TRUST_RE = re.compile(r"[1-5]")
CHANGELOG = "Synced from {path}"


class SkillFileError(Exception):
    """A SKILL.md that cannot be synced; the message is the reason shown to the user."""


@dataclass(frozen=True)
class Problem:
    path: Path
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


@dataclass
class SyncReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    disabled: int = 0
    failures: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def failed(self) -> int:
        return len(self.failures)

    def summary(self) -> str:
        return (
            f"created {self.created}, updated {self.updated}, unchanged {self.unchanged}, "
            f"disabled {self.disabled}, failed {self.failed}"
        )


@dataclass(frozen=True)
class SkillFile:
    """One parsed and validated SKILL.md, ready to write."""

    path: Path
    name: str
    text: str
    sha256: str  # of SKILL.md alone, or of SKILL.md and its files (bundle_digest) when it has some
    files: dict[str, bytes]  # the folder's other files, relative path → bytes
    declared: dict[str, Any]  # Skill columns the file sets (always description and meta)
    defaults: dict[str, Any]  # columns for a skill no file has set yet, where the file is silent
    version: str | None
    warnings: list[str]

    @property
    def folder(self) -> str:
        return str(self.path.parent)


def _read_text(path: Path) -> str:
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as error:
        raise SkillFileError(UNREADABLE.format(error=error.strerror or error)) from error
    except UnicodeDecodeError as error:
        raise SkillFileError(NOT_UTF8) from error
    if "\x00" in text:
        raise SkillFileError(NUL_CHARACTER)
    return text


def _front_matter_block(text: str) -> str:
    lines = text.removeprefix("\ufeff").splitlines()
    if not lines or lines[0].rstrip() != "---":
        raise SkillFileError(NO_FRONT_MATTER)
    for end, line in enumerate(lines[1:], start=1):
        if line.rstrip() == "---":
            # Each line keeps its newline, as in the file: a literal block's last one is part of its value.
            return "".join(f"{line}\n" for line in lines[1:end])
    raise SkillFileError(UNCLOSED_FRONT_MATTER)


def _load_yaml(block: str) -> dict:
    try:
        front = yaml.safe_load(block)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        # +2: marks count from 0, and the block starts on the line after the opening '---'.
        where = f" (line {mark.line + 2})" if mark else ""
        problem = getattr(error, "problem", None) or str(error)
        raise SkillFileError(NOT_YAML.format(where=where, problem=" ".join(problem.split()))) from error
    if not isinstance(front, dict):
        raise SkillFileError(NOT_A_MAPPING)
    for required in ("name", "description"):
        if not isinstance(front.get(required), str) or not front[required].strip():
            raise SkillFileError(MISSING_FIELD.format(field=required))
    return front


def _own_properties(front: dict) -> dict[str, Any]:
    metadata = front.get("metadata") or {}
    if not isinstance(metadata, dict):
        raise SkillFileError(METADATA_NOT_A_MAPPING)
    return {key: metadata.get(key, front.get(key)) for key in OWN_PROPERTIES}


def _tier(value: Any) -> str:
    tier = str(value).strip().lower()
    if tier not in Tier.values:
        raise SkillFileError(BAD_TIER.format(value=value))
    return tier


def _trust_level(value: Any) -> int:
    # bool is an int in Python; `trust_level: yes` is a mistake, not trust level 1.
    if isinstance(value, bool) or not TRUST_RE.fullmatch(str(value).strip()):
        raise SkillFileError(BAD_TRUST.format(value=value))
    return int(str(value).strip())


def _version(value: Any) -> str | None:
    if value is None:
        return None
    try:
        validate_semver(str(value).strip())
    except ValidationError as error:
        raise SkillFileError(BAD_VERSION.format(value=value)) from error
    return str(value).strip()


def _triggers(value: Any) -> list[str]:
    items = value if isinstance(value, list) else str(value or "").split(",")
    return [str(item).strip() for item in items if item is not None and str(item).strip()]


def _json_safe(value: Any) -> Any:
    """YAML has types JSON lacks (dates, sets, binary); `meta` is a JSON column."""
    if isinstance(value, dict):
        return {str(key): _json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set):
        return [_json_safe(item) for item in value]
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def _meta(front: dict, own: dict[str, Any]) -> dict[str, Any]:
    skip = {"name", "description", "metadata", *OWN_PROPERTIES}
    meta = {key: value for key, value in front.items() if key not in skip}
    meta.update({key: value for key, value in (front.get("metadata") or {}).items() if key not in OWN_PROPERTIES})
    meta["triggers"] = _triggers(own["triggers"])
    return _json_safe(meta)


def _declared_columns(front: dict, own: dict[str, Any]) -> dict[str, Any]:
    declared: dict[str, Any] = {"description": front["description"].strip(), "meta": _meta(front, own)}
    if own["tier"] is not None:
        declared["tier"] = _tier(own["tier"])
    if own["trust_level"] is not None:
        declared["trust_level"] = _trust_level(own["trust_level"])
    for column in ("category", "display_name"):
        if own[column] is not None:
            declared[column] = str(own[column]).strip()
    return declared


def _folder_files(folder: Path, warnings: list[str]) -> dict[str, bytes]:
    """The folder's files besides SKILL.md (hidden names, caches and symbolic links left out: a
    link could reach outside the folder); none, with a warning, when they exceed the size limit."""
    paths = sorted(
        path
        for path in folder.rglob("*")
        if path.is_file()
        and not path.is_symlink()
        and path != folder / SKILL_MD
        and not any(part.startswith(".") or part == "__pycache__" for part in path.relative_to(folder).parts)
    )
    limit = settings.SKILL_BUNDLE_MAX_BYTES
    size = sum(path.stat().st_size for path in paths)
    if size > limit:
        warnings.append(FILES_TOO_LARGE.format(size=size, limit=limit))
        return {}
    return {path.relative_to(folder).as_posix(): path.read_bytes() for path in paths}


def skill_file_read(path: Path) -> SkillFile:
    """Parses and validates one SKILL.md; raises SkillFileError with the reason."""
    text = _read_text(path)
    front = _load_yaml(_front_matter_block(text))
    own = _own_properties(front)
    name = front["name"].strip()
    warnings = list(validate_metadata(front, path.parent))
    files = _folder_files(path.parent, warnings)
    return SkillFile(
        path=path,
        name=name,
        text=text,
        sha256=bundle_digest(text, files) or sha256_text(text),
        files=files,
        declared=_declared_columns(front, own),
        defaults={"display_name": name.replace("-", " ").title(), "tier": Tier.STANDARD, "category": ""},
        version=_version(own["version"]),
        warnings=warnings,
    )


def _validation_reason(error: ValidationError) -> str:
    if not hasattr(error, "error_dict"):
        return "; ".join(error.messages)
    return "; ".join(
        INVALID_VALUE.format(field=name, message=message)
        for name, messages in error.message_dict.items()
        for message in messages
    )


def _choose_version(skill: Skill, skill_file: SkillFile, warnings: list[str]) -> str:
    wanted = skill_file.version
    if wanted is None:
        return next_patch_version(skill)
    if not skill.versions.filter(version=wanted).exists():
        return wanted
    # An edit that forgot to bump the version still has to be published under a new one.
    published = next_patch_version(skill)
    warnings.append(VERSION_TAKEN.format(version=wanted, published=published))
    return published


def _publish_if_new(skill: Skill, skill_file: SkillFile, created_by: Actor, warnings: list[str]) -> None:
    # A folder that comes back unchanged already has its content as the current version.
    content_sha256, bundle_sha256 = sha256_text(skill_file.text), bundle_digest(skill_file.text, skill_file.files)
    if skill.versions.filter(is_current=True, sha256=content_sha256, bundle_sha256=bundle_sha256).exists():
        return
    skill_version_publish(
        skill=skill,
        content=skill_file.text,
        version=_choose_version(skill, skill_file, warnings),
        changelog=CHANGELOG.format(path=skill_file.path),
        created_by=created_by,
        files=skill_file.files,
    )


@transaction.atomic
def _write_skill(skill_file: SkillFile, created_by: Actor) -> tuple[bool, list[str]]:
    """Creates or updates one skill and publishes its version; returns (created, warnings)."""
    skill = Skill.objects.select_for_update().filter(skill_id=skill_file.name).first()
    created = skill is None
    skill = skill or Skill(skill_id=skill_file.name)
    warnings: list[str] = []
    # A row no file has set yet (new, auto-registered from telemetry) takes the defaults.
    adopting = created or not skill.source_path
    for column, value in ((skill_file.defaults if adopting else {}) | skill_file.declared).items():
        setattr(skill, column, value)
    if created or not skill.sha256:
        skill.enabled = True  # new, adopted, or its folder came back
    elif not skill.enabled:
        warnings.append(STAYS_DISABLED)
    skill.sha256, skill.source_path = skill_file.sha256, skill_file.folder
    skill.full_clean()
    skill.save(force_insert=created)
    _publish_if_new(skill, skill_file, created_by, warnings)
    return created, warnings


def _disable_removed(root: Path, names: set[str], unreadable: set[str]) -> int:
    """Skills synced from a direct subfolder of root whose name no file there defines now.

    A folder whose file failed to read keeps its skill: a broken edit is not a removal.
    """
    candidates = (
        Skill.objects.enabled()
        .filter(source_path__startswith=str(root))
        .exclude(skill_id__in=names)
        .exclude(source_path__in=unreadable)
        .values_list("skill_id", "source_path")
    )
    gone = [skill_id for skill_id, source in candidates if Path(source).parent == root]
    if gone:
        # Emptying sha256 marks "mirrors no file": the folder's return re-enables the skill.
        Skill.objects.filter(pk__in=gone, enabled=True).update(enabled=False, sha256="", updated_at=timezone.now())
    return len(gone)


def _skill_files(root: Path) -> list[Path]:
    # Hidden folders (.git, editors' trash) are never skills.
    return sorted(path for path in root.glob("*/SKILL.md") if not path.parent.name.startswith("."))


def _read_all(paths: list[Path], report: SyncReport) -> list[SkillFile]:
    by_name: dict[str, SkillFile] = {}
    for path in paths:
        try:
            skill_file = skill_file_read(path)
            if skill_file.name in by_name:
                raise SkillFileError(DUPLICATE_NAME.format(name=skill_file.name, other=by_name[skill_file.name].path))
        except SkillFileError as error:
            report.failures.append(Problem(path, str(error)))
            continue
        report.warnings.extend(Problem(path, warning) for warning in skill_file.warnings)
        by_name[skill_file.name] = skill_file
    return list(by_name.values())


def _write_all(skill_files: list[SkillFile], report: SyncReport, created_by: Actor, progress: Progress) -> None:
    # One read for every file's state, so an unchanged folder costs no per-skill query.
    rows = Skill.objects.filter(skill_id__in=[f.name for f in skill_files]).values_list(
        "skill_id", "sha256", "source_path"
    )
    stored = {skill_id: (sha256, source_path) for skill_id, sha256, source_path in rows}
    for skill_file in skill_files:
        progress.advance()
        if stored.get(skill_file.name) == (skill_file.sha256, skill_file.folder):
            report.unchanged += 1
            continue
        try:
            created, warnings = _write_skill(skill_file, created_by)
        except ValidationError as error:
            report.failures.append(Problem(skill_file.path, _validation_reason(error)))
            continue
        except IntegrityError as error:
            report.failures.append(Problem(skill_file.path, CONFLICT.format(error=error)))
            continue
        report.created += created
        report.updated += not created
        report.warnings.extend(Problem(skill_file.path, warning) for warning in warnings)


def skills_sync_from_folder(*, root: Path, created_by: Actor = None, progress: Progress = NO_PROGRESS) -> SyncReport:
    """Syncs the registry with ROOT/<folder>/SKILL.md; safe to run again (writes nothing then).
    `progress` counts the files synced (written, found unchanged or failed)."""
    root = Path(root).resolve()
    if not root.is_dir():
        raise NotADirectoryError(NOT_A_FOLDER.format(root=root))
    report = SyncReport()
    paths = _skill_files(root)
    progress.start(len(paths), "sync_skills (files)")
    skill_files = _read_all(paths, report)
    progress.advance(len(paths) - len(skill_files))  # unreadable: done with
    _write_all(skill_files, report, created_by, progress)
    progress.finish()
    if not paths:
        # An empty folder is far likelier an unmounted volume or a typo than "remove every skill".
        report.warnings.append(Problem(root, NO_SKILLS_FOUND))
        return report
    unreadable = {str(path.parent) for path in paths} - {f.folder for f in skill_files}
    report.disabled = _disable_removed(root, {f.name for f in skill_files}, unreadable)
    return report


__all__ = ["Problem", "SkillFileError", "SyncReport", "skill_file_read", "skills_sync_from_folder"]
