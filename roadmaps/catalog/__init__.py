"""Expert deconstructions shipped as data: one YAML file a skill in this folder.

A file is a mapping:

    id: juggling                       # a slug, the same as the file's name
    title: Juggling three balls
    domain: sport-fitness              # one of DOMAINS
    kind: physical                     # physical | abstract | mixed
    stage: "Never juggled → a 50-catch cascade"   # where the plan takes the learner
    aliases: [juggle, learn to juggle]  # what learners type for this skill
    keywords: [balls, cascade]          # words that point to it, weaker than aliases
    practice_types: [drill]             # exactly the practiceTypes its milestones use
    plan: {levels: …, totalEstimatedTime: …, difficulty: …}   # roadmaps.plan's shape

The plan goes through the same validator as any posted plan, and every catalog milestone
must name its practiceType. The catalog is read once per process (`catalog()`); a bad file
raises CatalogError naming the file and the field. A learner's roadmap gets a deep copy of
the plan (`CatalogEntry.plan_copy`), so editing a file never changes a started roadmap.
"""

from __future__ import annotations

import copy
import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ..choices import ActivityType, SkillType
from ..plan import milestones_of, plan_errors

CATALOG_DIR = Path(__file__).resolve().parent
DOMAINS = {
    "languages": "Languages",
    "music": "Music",
    "sport-fitness": "Sport and fitness",
    "programming-data": "Programming and data",
    "maths-science": "Maths and science",
    "art-craft": "Art and craft",
    "cooking": "Cooking",
    "games": "Games",
    "communication": "Communication",
    "practical": "Everyday practical skills",
}
FIELDS = ("id", "title", "domain", "kind", "stage", "aliases", "keywords", "practice_types", "plan")

NOT_YAML = "is not valid YAML: {problem}"
NOT_A_MAPPING = "must be a mapping of the catalog fields"
UNKNOWN_FIELD = "is not a catalog field (expected {fields})"
MISSING_FIELD = "is required"
ID_NOT_FILE_NAME = "must be a slug equal to the file's name ({stem!r})"
MUST_BE_TEXT = "must be a non-empty string"
MUST_BE_TEXT_LIST = "must be a non-empty list of non-empty strings"
BAD_DOMAIN = f"must be one of {', '.join(DOMAINS)}"
BAD_KIND = f"must be one of {', '.join(SkillType.values)}"
BAD_PRACTICE_TYPES = "must list exactly the practiceTypes the milestones use ({used})"
PRACTICE_TYPE_REQUIRED = "is required in a catalog plan"
DUPLICATE_NAME = "{name!r} is already an id or alias of {other}"
_SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*\Z")


class CatalogError(ValueError):
    """A catalog file that cannot be used: names the file, the field (a JSON path inside the plan) and why."""

    def __init__(self, file: Path, field_path: str, message: str) -> None:
        super().__init__(f"{file.name}: {field_path}: {message}")
        self.file, self.field, self.message = file, field_path, message


@dataclass(frozen=True)
class CatalogEntry:
    id: str
    title: str
    domain: str
    kind: str
    stage: str
    aliases: tuple[str, ...]
    keywords: tuple[str, ...]
    practice_types: tuple[str, ...]
    plan: dict = field(repr=False, compare=False)

    @property
    def domain_label(self) -> str:
        return DOMAINS[self.domain]

    @property
    def total_minutes(self) -> int:
        return self.plan["totalEstimatedTime"]

    @property
    def levels_count(self) -> int:
        return len(self.plan["levels"])

    @property
    def difficulty(self) -> str:
        return self.plan["difficulty"]

    def plan_copy(self) -> dict:
        """The plan for a learner's deconstruction: a copy, so the cached catalog stays as shipped."""
        return copy.deepcopy(self.plan)


def _text_list(value) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, str) and v.strip() for v in value)


def _check_metadata(file: Path, raw: dict) -> None:
    for key in raw:
        if key not in FIELDS:
            raise CatalogError(file, str(key), UNKNOWN_FIELD.format(fields=", ".join(FIELDS)))
    for key in FIELDS:
        if key not in raw:
            raise CatalogError(file, key, MISSING_FIELD)
    if not isinstance(raw["id"], str) or raw["id"] != file.stem or not _SLUG.match(raw["id"]):
        raise CatalogError(file, "id", ID_NOT_FILE_NAME.format(stem=file.stem))
    for key in ("title", "stage"):
        if not isinstance(raw[key], str) or not raw[key].strip():
            raise CatalogError(file, key, MUST_BE_TEXT)
    if raw["domain"] not in DOMAINS:
        raise CatalogError(file, "domain", BAD_DOMAIN)
    if raw["kind"] not in SkillType.values:
        raise CatalogError(file, "kind", BAD_KIND)
    for key in ("aliases", "keywords", "practice_types"):
        if not _text_list(raw[key]):
            raise CatalogError(file, key, MUST_BE_TEXT_LIST)


def _check_plan(file: Path, plan) -> None:
    errors = plan_errors(plan)
    if errors:
        path, message = next(iter(errors.items()))
        raise CatalogError(file, f"plan.{path}", message)
    for i, level in enumerate(plan["levels"]):
        for j, milestone in enumerate(level["milestones"]):
            if "practiceType" not in milestone:
                raise CatalogError(file, f"plan.levels[{i}].milestones[{j}].practiceType", PRACTICE_TYPE_REQUIRED)


def _check_practice_types(file: Path, raw: dict) -> None:
    used = {m.practice_type for m in milestones_of(raw["plan"])}
    listed = raw["practice_types"]
    if set(listed) != used or len(listed) != len(used) or not used <= set(ActivityType.values):
        raise CatalogError(file, "practice_types", BAD_PRACTICE_TYPES.format(used=", ".join(sorted(used))))


def load_entry(file: Path) -> CatalogEntry:
    """One catalog file, checked; CatalogError names the file and the field of the first problem."""
    try:
        raw = yaml.safe_load(file.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise CatalogError(file, "yaml", NOT_YAML.format(problem=str(error).replace("\n", " "))) from error
    if not isinstance(raw, dict):
        raise CatalogError(file, "yaml", NOT_A_MAPPING)
    _check_metadata(file, raw)
    _check_plan(file, raw["plan"])
    _check_practice_types(file, raw)
    return CatalogEntry(
        id=raw["id"],
        title=raw["title"].strip(),
        domain=raw["domain"],
        kind=raw["kind"],
        stage=raw["stage"].strip(),
        aliases=tuple(a.strip() for a in raw["aliases"]),
        keywords=tuple(k.strip() for k in raw["keywords"]),
        practice_types=tuple(raw["practice_types"]),
        plan=raw["plan"],
    )


def load_catalog(directory: Path = CATALOG_DIR) -> dict[str, CatalogEntry]:
    """Every `*.yaml` file of the folder, by id, in file-name order. An alias or id used by two
    entries is refused too: a goal naming it could not say which plan it means."""
    entries: dict[str, CatalogEntry] = {}
    owners: dict[str, str] = {}
    for file in sorted(directory.glob("*.yaml")):
        entry = load_entry(file)
        for name in (entry.id, *entry.aliases):
            key = " ".join(name.lower().split())
            if owners.get(key, entry.id) != entry.id:
                raise CatalogError(file, "aliases", DUPLICATE_NAME.format(name=name, other=owners[key]))
            owners[key] = entry.id
        entries[entry.id] = entry
    return entries


@functools.cache
def catalog() -> dict[str, CatalogEntry]:
    """The shipped catalog, loaded once per process (the files change only with a deployment)."""
    return load_catalog()


def get_entry(entry_id: str) -> CatalogEntry | None:
    return catalog().get(entry_id)
