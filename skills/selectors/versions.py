"""A skill's versions read as a whole: a version with its files and findings, and two versions
compared (SKILL.md, the file list with modes, the findings)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Prefetch, QuerySet

from skills.models import Skill, SkillVersion, SkillVersionFile

from ..services.bundles import file_mode
from .registry import version_diff


def versions_in_full(skill: Skill) -> QuerySet[SkillVersion]:
    """The skill's versions with `file_list` (without their bytes), `findings` and the acknowledging
    user loaded: 3 queries for any number of versions."""
    files = SkillVersionFile.objects.defer("content").order_by("path")
    return (
        SkillVersion.objects.filter(skill=skill)
        .select_related("acknowledged_by", "created_by")
        .prefetch_related(Prefetch("files", queryset=files, to_attr="file_list"), "findings")
    )


@dataclass
class FileChange:
    path: str
    before: SkillVersionFile | None
    after: SkillVersionFile | None

    @property
    def kind(self) -> str:
        if self.before is None:
            return "added"
        if self.after is None:
            return "removed"
        if self.before.sha256 != self.after.sha256:
            return "changed" if self.before.executable == self.after.executable else "changed, mode changed"
        return "mode changed"

    @property
    def differs(self) -> bool:
        before, after = self.before, self.after
        return before is None or after is None or (before.sha256, before.executable) != (after.sha256, after.executable)

    @property
    def modes(self) -> str:
        return " → ".join(_mode(file) for file in (self.before, self.after) if file is not None)


def _mode(file: SkillVersionFile) -> str:
    return f"{file_mode(file.executable):o}"


@dataclass
class Comparison:
    before: SkillVersion
    after: SkillVersion
    skill_md: list[tuple[str, str]]  # (kind, line) as version_diff gives them
    files: list[FileChange] = field(default_factory=list)  # only the files that differ

    def count(self, kind: str) -> int:
        return sum(change.kind.startswith(kind) for change in self.files)


def versions_compare(before: SkillVersion, after: SkillVersion) -> Comparison:
    """Two versions loaded by `versions_in_full`: the unified diff of SKILL.md (standard library
    difflib) and each file added, removed, changed or whose mode changed."""
    old = {file.path: file for file in before.file_list}
    new = {file.path: file for file in after.file_list}
    changes = [FileChange(path, old.get(path), new.get(path)) for path in sorted(old.keys() | new.keys())]
    return Comparison(before, after, version_diff(before, after, label=""), [c for c in changes if c.differs])
