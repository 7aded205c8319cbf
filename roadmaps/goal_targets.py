"""The measurable target and the deadline a learner writes into a goal.

"swim 1 km freestyle without stopping by June" → a distance (1 km) and a deadline (by June).
Targets are shown on the roadmap and stated on the final milestone of a catalog plan whose own
end point differs; goal matching removes them first, so "run 5 km in 8 weeks" is matched on
"run" alone. Parsed with regular expressions: the forms are few and fixed, and a parser
library would add nothing but a dependency.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NUMBER_WORDS = {"a": "1", "an": "1", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6",
                 "seven": "7", "eight": "8", "nine": "9", "ten": "10", "twelve": "12", "twenty": "20",
                 "thirty": "30", "fifty": "50", "hundred": "100"}  # fmt: skip
_MONTHS = ("january february march april may june july august september october november december "
           "jan feb mar apr jun jul aug sep sept oct nov dec").split()  # fmt: skip
_OCCASIONS = ["summer", "winter", "spring", "autumn", "fall", "christmas", "easter", "new year", "next year",
              "the end of the year", "the end of the month", "my birthday", "my wedding", "the holidays"]  # fmt: skip

# Units, longest first within a kind; each maps to how it is shown.
_UNITS: dict[str, dict[str, str]] = {
    "distance": {"kilometres": "km", "kilometers": "km", "kilometre": "km", "kilometer": "km", "km": "km",
                 "k": "km", "miles": "miles", "mile": "mile", "metres": "m", "meters": "m", "metre": "m",
                 "meter": "m", "m": "m"},
    "duration": {"hours": "hours", "hour": "hour", "hrs": "hours", "hr": "hour", "minutes": "minutes",
                 "minute": "minute", "mins": "minutes", "min": "minutes", "seconds": "seconds",
                 "second": "second", "secs": "seconds", "sec": "seconds", "s": "seconds"},
    "speed": {"words per minute": "words a minute", "words a minute": "words a minute", "wpm": "words a minute",
              "bpm": "bpm"},
}  # fmt: skip
_PLURALS = {"hour": "hours", "minute": "minutes", "second": "seconds", "mile": "miles"}
_SINGULARS = {plural: singular for singular, plural in _PLURALS.items()}
_UNIT_KIND = {unit: kind for kind, units in _UNITS.items() for unit in units}

_WORD_NUMBER = r"(?P<n>" + "|".join(_NUMBER_WORDS) + r")"
_DIGITS = r"(?P<n>\d+(?:[.,]\d+)?)"
_ANY_NUMBER = r"(?P<n>\d+(?:[.,]\d+)?|" + "|".join(_NUMBER_WORDS) + r")"
_LONG_UNITS = "|".join(sorted((re.escape(u) for u in _UNIT_KIND if len(u) > 1), key=len, reverse=True))
_ALL_UNITS = "|".join(sorted((re.escape(u) for u in _UNIT_KIND), key=len, reverse=True))
_NOT_A_COUNTED_THING = "for in by to and or the a an of with on at per under before until within".split()

_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("deadline", re.compile(r"\b(?:by|before|until)\s+(?:(?:the\s+)?(?:end\s+of\s+)?(?:" + "|".join(_MONTHS)
                            + r")\b(?:\s+\d{4})?|" + "|".join(_OCCASIONS) + r"|\d{4}-\d{2}-\d{2}|\d{4})\b")),
    ("deadline", re.compile(r"\bin\s+(?:" + "|".join(_MONTHS) + r")\b(?:\s+\d{4})?")),
    ("deadline", re.compile(r"\b(?:in|within)\s+(?:the\s+next\s+)?" + _ANY_NUMBER
                            + r"\s+(?P<unit>days?|weeks?|months?|years?)\b")),
    ("level", re.compile(r"\b(?P<unit>grade|level|hsk|jlpt\s+n|elo|rating(?:\s+of)?)\s*(?P<n>\d{1,4})\b"
                         r"(?!\s*(?:km|k|m|%))")),
    ("level", re.compile(r"\b(?P<unit>[abc])(?P<n>[12])\b")),
    ("level", re.compile(r"\b(?P<n>\d{1,2})\s*(?P<unit>kyu|dan)\b")),
    ("level", re.compile(r"\b(?P<n>\d{3,4})\s+(?P<unit>rating|elo)\b")),
    ("measure", re.compile(r"\b(?:(?:in\s+)?under\s+|for\s+)?" + _DIGITS + r"\s*-?\s*(?P<unit>" + _ALL_UNITS
                           + r")\b")),
    ("measure", re.compile(r"\b(?:(?:in\s+)?under\s+|for\s+)?" + _WORD_NUMBER + r"\s+(?P<unit>" + _LONG_UNITS
                           + r")\b")),
    # "5 pull-ups": only the number is the target's span, the thing counted stays in the goal
    ("count", re.compile(r"\b(?P<n>\d+)(?=\s+(?!(?:" + "|".join(_NOT_A_COUNTED_THING)
                         + r")\b)(?P<unit>[a-z][a-z'-]+))")),
)  # fmt: skip


@dataclass(frozen=True)
class Target:
    kind: str  # distance, duration, speed, level, count, deadline
    text: str  # as shown: "1 km", "by June", "grade 5"
    number: float | None
    unit: str
    span: tuple[int, int]  # where it stands in the goal


def _number(text: str) -> float | None:
    text = _NUMBER_WORDS.get(text, text).replace(",", ".")
    try:
        return float(text)
    except ValueError:
        return None


def _target(kind: str, found: re.Match[str]) -> Target:
    groups = found.groupdict()
    number = _number(groups["n"]) if groups.get("n") else None
    unit = " ".join((groups.get("unit") or "").split())
    if kind == "measure":
        kind, unit = _UNIT_KIND[unit], _UNITS[_UNIT_KIND[unit]][unit]
        unit = _SINGULARS.get(unit, unit) if number == 1 else _PLURALS.get(unit, unit)
        if unit == "km" and found.group(0).strip().endswith("k"):
            text = f"{groups['n']} km"  # "a 5k" is a 5 km race
        else:
            text = f"{groups['n']} {unit}"
        text = ("under " if "under" in found.group(0) else "") + text
    elif kind == "count":
        text = f"{groups['n']} {unit}"
    else:
        text = found.group(0).strip()
    return Target(kind, text, number, unit, found.span())


def parse_targets(goal: str) -> list[Target]:
    """The targets of a goal in the order they are written; overlapping forms count once (the
    first pattern wins: "in 6 months" is a deadline, not a duration)."""
    lowered = goal.lower().replace("’", "'")
    taken: list[Target] = []
    for kind, pattern in _PATTERNS:
        for found in pattern.finditer(lowered):
            start, end = found.span()
            if any(start < t.span[1] and t.span[0] < end for t in taken):
                continue
            target = _target(kind, found)
            if target.kind in ("deadline", "level"):  # as the learner wrote it: "by June", "HSK 2"
                target = Target(target.kind, goal[start:end].strip(), target.number, target.unit, target.span)
            taken.append(target)
    return sorted(taken, key=lambda t: t.span)


def without_targets(goal: str) -> str:
    """The goal with its targets cut out: what names the skill. A level or a count loses only
    its number: "HSK" and "pull-ups" still say which skill."""
    text = goal.replace("’", "'")
    for target in reversed(parse_targets(goal)):
        start, end = target.span
        kept = re.sub(r"\d+", " ", text[start:end]) if target.kind in ("level", "count") else " "
        text = text[:start] + kept + text[end:]
    return text
