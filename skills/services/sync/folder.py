"""The registry synced from a folder of SKILL.md files (`skills_sync_from_folder`).

Each skill is written in its own transaction, so one bad file rolls back only itself:
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

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from ...models import Skill
from ...progress import NO_PROGRESS, Progress
from ..bundles import bundle_digest
from ..registry import next_patch_version, sha256_text, skill_version_publish
from .skill_file import SkillFile, SkillFileError, skill_file_read

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    Actor = AbstractBaseUser | None

NOT_A_FOLDER = "{root} is not a folder"
NO_SKILLS_FOUND = "no <folder>/SKILL.md found; nothing was disabled (is this the right folder?)"
DUPLICATE_NAME = "skill '{name}' is already defined by {other}"
INVALID_VALUE = "{field}: {message}"
CONFLICT = "the registry changed while syncing ({error}); run the sync again"
VERSION_TAKEN = "version {version} already exists; published as {published} instead"
STAYS_DISABLED = "the skill is disabled in the registry and stays disabled"
CHANGELOG = "Synced from {path}"
HELD_BACK = (
    "version {version} is held back: the scan found {count} high finding(s); staff review and acknowledge "
    "them on the skill's admin page before it becomes current"
)


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
    version = skill_version_publish(
        skill=skill,
        content=skill_file.text,
        version=_choose_version(skill, skill_file, warnings),
        changelog=CHANGELOG.format(path=skill_file.path),
        created_by=created_by,
        files=skill_file.files,
    )
    if version.held:
        warnings.append(HELD_BACK.format(version=version.version, count=version.high_findings))


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
