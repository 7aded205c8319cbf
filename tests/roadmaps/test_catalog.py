"""The catalog of expert plans: every file loads through the plan validator, the plans are
written for their skill (not one template), and their counts agree with their success criteria."""

import itertools
import re
import shutil
from pathlib import Path

import pytest

from roadmaps.catalog import (
    BAD_DOMAIN,
    BAD_PRACTICE_TYPES,
    CATALOG_DIR,
    DOMAINS,
    DUPLICATE_NAME,
    ID_NOT_FILE_NAME,
    MISSING_FIELD,
    PRACTICE_TYPE_REQUIRED,
    CatalogError,
    catalog,
    load_catalog,
    load_entry,
)
from roadmaps.choices import SkillType
from roadmaps.plan import MUST_BE_COUNT, UNKNOWN_PREREQUISITE, milestones_of

FILES = sorted(CATALOG_DIR.glob("*.yaml"))
ENTRIES = list(catalog().values())


def test_the_catalog_has_at_least_40_entries_in_at_least_8_domains():
    assert len(FILES) == len(ENTRIES) >= 40
    domains = {entry.domain for entry in ENTRIES}
    assert len(domains) >= 8 and domains <= set(DOMAINS)
    assert {entry.kind for entry in ENTRIES} == set(SkillType.values)


@pytest.mark.parametrize("file", FILES, ids=[f.stem for f in FILES])
def test_every_file_loads_through_the_plan_validator(file):
    entry = load_entry(file)
    assert entry.id == file.stem and entry.aliases and entry.keywords
    milestones = list(milestones_of(entry.plan))
    assert len(milestones) >= 5, "an expert plan is more than a handful of steps"
    assert all(m.practice_type in entry.practice_types for m in milestones)
    assert entry.total_minutes == sum(m.estimated_time for m in milestones)


def _titles(entry) -> set[str]:
    return {" ".join(m.title.lower().split()) for m in milestones_of(entry.plan)}


def test_no_two_entries_share_more_than_a_third_of_their_milestone_titles():
    for a, b in itertools.combinations(ENTRIES, 2):
        shared = _titles(a) & _titles(b)
        assert len(shared) * 3 <= min(len(_titles(a)), len(_titles(b))), (a.id, b.id, shared)


# --- reps × sets against the success criteria ---------------------------------------------
NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
                "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30,
                "forty": 40, "fifty": 50, "hundred": 100}  # fmt: skip
# A number followed by one of these measures time, speed, distance or size — not a count of repetitions.
MEASURES = re.compile(
    r"-?(minutes?|mins?|seconds?|secs?|hours?|hrs?|bpm|wpm|words? (a|per) minute|km|kilometres?|metres?|meters?|"
    r"m|cm|mm|kg|g|grams?|%|percent|°|degrees?|per cent|beats?|x|px|cards? a day|moves? deep)\b|%"
)
_NUMBER = re.compile(r"(?<![\w.,])(\d{1,3}(?:,\d{3})+|\d+|" + "|".join(NUMBER_WORDS) + r")(?![\w.,]\d)\b\s*")


def counts_in(text: str) -> list[int]:
    """The counts a success criterion gives: numbers that are not measures of time, distance or size."""
    counts = []
    text = text.lower()
    for match in _NUMBER.finditer(text):
        if MEASURES.match(text, match.end()):
            continue
        word = match.group(1)
        counts.append(NUMBER_WORDS.get(word) or int(word.replace(",", "")))
    return counts


def agrees(reps: int, sets: int, criteria: str) -> bool:
    """Where the criterion gives counts, it asks for reps × sets in all (as the product, or as
    both factors) and never for more than that."""
    counts = counts_in(criteria)
    if not counts:
        return True
    total = reps * sets
    return max(counts) <= total and (total in counts or (reps in counts and sets in counts))


@pytest.mark.parametrize(
    "reps, sets, criteria, expected",
    [
        (2, 1, "Two sets of five", False),  # the old template's 1 × 2 against "two sets of five" (and 2 × 1)
        (1, 2, "Two sets of five, with at most one mistake each.", False),
        (5, 2, "Two sets of five", True),
        (10, 5, "10 catches in a row, 5 times, without stepping forward.", True),
        (25, 20, "500 of the most common words recalled (20 sessions of 25)", True),
        (1, 3, "Three runs of 20 minutes at 120 bpm", True),
        (3, 1, "A 2 km run in 15 minutes", True),
        (1, 1, "Hold it for 30 seconds", True),
        (1, 3, "3 continuous 20-minute runs in a week", True),
        (4, 1, "5 clean repetitions", False),
        (10, 3, "1,000 words typed", False),
    ],
)
def test_the_count_checker(reps, sets, criteria, expected):
    assert agrees(reps, sets, criteria) is expected


@pytest.mark.parametrize("entry", ENTRIES, ids=[e.id for e in ENTRIES])
def test_reps_times_sets_agree_with_the_success_criteria(entry):
    wrong = [
        (m.id, m.reps, m.sets, m.success_criteria)
        for m in milestones_of(entry.plan)
        if not agrees(m.reps, m.sets, m.success_criteria)
    ]
    assert wrong == []


def test_stated_hours_are_honest():
    """A stage that says "about N hours" is within 15 % of the plan's total."""
    for entry in ENTRIES:
        stated = re.search(r"about (\d+) hours", entry.stage)
        if stated:
            hours = entry.total_minutes / 60
            assert abs(hours - int(stated.group(1))) <= 0.15 * hours, (entry.id, hours, entry.stage)


def test_long_skills_take_long():
    spanish = catalog()["spanish-conversation"]
    assert spanish.total_minutes >= 150 * 60 and "A2" in spanish.stage
    assert catalog()["juggling"].total_minutes < 20 * 60


def test_some_milestones_unlock_agent_skills():
    unlocking = {m.id: m.unlocks_skills for e in ENTRIES for m in milestones_of(e.plan) if m.unlocks_skills}
    assert unlocking["sql-joins"] == ("sql-optimize",)
    assert len(unlocking) >= 3


def test_a_learner_gets_a_copy_of_the_plan():
    entry = catalog()["juggling"]
    copy = entry.plan_copy()
    copy["levels"][0]["milestones"][0]["title"] = "changed"
    assert entry.plan["levels"][0]["milestones"][0]["title"] == "One-ball arc"


# --- bad files: the error names the file and the field ---------------------------------------
@pytest.fixture
def folder(tmp_path) -> Path:
    shutil.copy(CATALOG_DIR / "juggling.yaml", tmp_path / "juggling.yaml")
    return tmp_path


def rewrite(file: Path, old: str, new: str) -> None:
    text = file.read_text()
    assert old in text
    file.write_text(text.replace(old, new, 1))


@pytest.mark.parametrize(
    "old, new, field, message",
    [
        ("domain: sport-fitness", "domain: circus", "domain", BAD_DOMAIN),
        ("id: juggling", "id: juggle", "id", ID_NOT_FILE_NAME.format(stem="juggling")),
        ("kind: physical\n", "", "kind", MISSING_FIELD),
        ("        reps: 20\n", "        reps: 0\n", "plan.levels[0].milestones[0].doThisNow.reps", MUST_BE_COUNT),
        ("prerequisites: [one-ball-arc]", "prerequisites: [one-ball]",
         "plan.levels[0].milestones[1].prerequisites[0]", UNKNOWN_PREREQUISITE.format(id="one-ball")),
        ("      practiceType: drill\n      icon: sports_handball", "      icon: sports_handball",
         "plan.levels[0].milestones[0].practiceType", PRACTICE_TYPE_REQUIRED),
        ("practice_types: [drill]", "practice_types: [drill, video]", "practice_types",
         BAD_PRACTICE_TYPES.format(used="drill")),
    ],
)  # fmt: skip
def test_a_bad_file_is_refused_naming_the_file_and_the_field(folder, old, new, field, message):
    rewrite(folder / "juggling.yaml", old, new)
    with pytest.raises(CatalogError) as excinfo:
        load_catalog(folder)
    assert (excinfo.value.file.name, excinfo.value.field, excinfo.value.message) == ("juggling.yaml", field, message)
    assert str(excinfo.value) == f"juggling.yaml: {field}: {message}"


def test_a_file_that_is_not_yaml_is_refused(folder):
    (folder / "broken.yaml").write_text("id: broken\ntitle: [unclosed\n")
    with pytest.raises(CatalogError) as excinfo:
        load_catalog(folder)
    assert (excinfo.value.file.name, excinfo.value.field) == ("broken.yaml", "yaml")


def test_an_unknown_field_is_refused(folder):
    rewrite(folder / "juggling.yaml", "kind: physical", "kind: physical\ncolour: blue")
    with pytest.raises(CatalogError, match=r"juggling.yaml: colour: is not a catalog field"):
        load_catalog(folder)


def test_an_alias_claimed_by_two_entries_is_refused(folder):
    shutil.copy(CATALOG_DIR / "knitting.yaml", folder / "knitting.yaml")
    rewrite(folder / "knitting.yaml", "aliases: [knitting,", "aliases: [Juggle,")
    with pytest.raises(CatalogError) as excinfo:
        load_catalog(folder)
    assert excinfo.value.field == "aliases"
    assert excinfo.value.message == DUPLICATE_NAME.format(name="Juggle", other="juggling")
