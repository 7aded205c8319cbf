"""One SKILL.md read, parsed and validated (`skill_file_read`), with the folder's other files.

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
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.core.exceptions import ValidationError
from skills_ref.validator import validate_metadata

from ...models import Tier, validate_semver
from ..bundles import SKILL_MD, BundleFile, bundle_digest
from ..registry import sha256_text

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
FOLDER_TOO_LARGE = (
    "the folder holds {size:,} bytes, over the limit of {limit:,} bytes (SKILL_BUNDLE_MAX_BYTES); "
    "not synced: raise SKILL_BUNDLE_MAX_BYTES to publish it whole"
)

OWN_PROPERTIES = ("version", "tier", "category", "trust_level", "triggers", "display_name")
TRUST_RE = re.compile(r"[1-5]")


class SkillFileError(Exception):
    """A SKILL.md that cannot be synced; the message is the reason shown to the user."""


@dataclass(frozen=True)
class SkillFile:
    """One parsed and validated SKILL.md, ready to write."""

    path: Path
    name: str
    text: str
    sha256: str  # of SKILL.md alone, or of SKILL.md and its files (bundle_digest) when it has some
    files: list[BundleFile]  # the folder's other files, hashed with their modes (read when published)
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


def _folder_files(folder: Path, skill_md_size: int) -> list[BundleFile]:
    """The folder's files besides SKILL.md (hidden names, caches and symbolic links left out: a
    link could reach outside the folder); SkillFileError naming the size when the folder is over
    the limit: a skill is published whole or not at all."""
    paths = sorted(
        path
        for path in folder.rglob("*")
        if path.is_file()
        and not path.is_symlink()
        and path != folder / SKILL_MD
        and not any(part.startswith(".") or part == "__pycache__" for part in path.relative_to(folder).parts)
    )
    limit = settings.SKILL_BUNDLE_MAX_BYTES
    size = skill_md_size + sum(path.stat().st_size for path in paths)
    if size > limit:
        raise SkillFileError(FOLDER_TOO_LARGE.format(size=size, limit=limit))
    return [BundleFile.from_disk(folder, path) for path in paths]


def skill_file_read(path: Path) -> SkillFile:
    """Parses and validates one SKILL.md; raises SkillFileError with the reason."""
    text = _read_text(path)
    front = _load_yaml(_front_matter_block(text))
    own = _own_properties(front)
    name = front["name"].strip()
    warnings = list(validate_metadata(front, path.parent))
    files = _folder_files(path.parent, len(text.encode("utf-8")))
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
