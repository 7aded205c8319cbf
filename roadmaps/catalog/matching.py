"""A learner's goal → the catalog entry it names, with typos and word order tolerated (rapidfuzz).

A goal is reduced to its content words ("I want to learn to juggle 3 balls" → juggl, 3, ball):
lead-ins and filler are dropped, numbers are written as digits and each word is cut to a
rough stem, so "juggling" and "juggle" meet. Each word is then compared, with rapidfuzz's
similarity ratio, to the words of every entry: its title and aliases (the names of the
skill) and its keywords (words that point to it). An entry matches when at least one goal
word hits one of its names and most of the goal's words are accounted for; the best
scoring entry wins, ties broken by how close the whole goal is to one of its names.
"quantum gravity research" shares at most a keyword with anything, so it matches nothing
and `closest_entries` offers the nearest plans instead.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from ..goal_targets import without_targets
from . import CatalogEntry, catalog
from .domain_words import DOMAIN_WORDS

# Words that say nothing about which skill: lead-ins ("I want to learn how to"), filler and
# level words. Kept short on purpose: a word that names a skill must never be here.
STOPWORDS = frozenset(
    "a about an and as at basic basics be become beginner beginners better can course do doing for from "
    "get getting good how i i'd id im i'm in into is it learn learning like main master me more my "
    "of on or please practice practise proper properly really some start started starting teach the "
    "to up wanna want way well with would you your "
    # what a goal says about ambition rather than the skill ("help me understand…", "reach grade 5")
    "help understand improve overcome fear stop stopping without reach pass hold grade level rating "
    "every each day daily week".split()
)
NUMBERS = {"one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7",
           "eight": "8", "nine": "9", "ten": "10"}  # fmt: skip
_SUFFIXES = ("ational", "ation", "ings", "ing", "ers", "er", "ies", "es", "s", "ed", "al", "e", "y")
_WORD = re.compile(r"[a-z0-9+#']+")

WORD_SIMILARITY = 80  # rapidfuzz ratio for two stems to count as the same word (one typo in five letters)
MIN_COVERAGE = 0.5  # share of the goal's words the entry must account for
COMMON_NAME_ENTRIES = 3  # a word in the names of this many entries ("play", "speak") says nothing on its own
KEYWORD_WEIGHT = 0.6  # a keyword hit counts less than a hit on the skill's name


def stem(word: str) -> str:
    """A rough stem, the same on both sides of a comparison: juggling, juggle, juggler → juggl."""
    word = NUMBERS.get(word, word)
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def content_words(text: str, keep_common: bool = False) -> list[str]:
    """The stems of the words that carry meaning, in order, without repeats."""
    words = [w.strip("'") for w in _WORD.findall(text.lower().replace("’", "'"))]
    stems = [stem(w) for w in words if w and w not in STOPWORDS]
    common = frozenset() if keep_common else _common_words()
    return list(dict.fromkeys(s for s in stems if s and s not in common))


@dataclass(frozen=True)
class _Index:
    entry: CatalogEntry
    names: tuple[str, ...]  # title and aliases, as content-word phrases
    name_words: frozenset[str]
    keyword_words: frozenset[str]


@dataclass(frozen=True)
class Match:
    entry: CatalogEntry
    score: float  # 0–100: how much of the goal the entry accounts for, and how well


@functools.cache
def _common_words() -> frozenset[str]:
    """Words in the names of several entries: "play" (guitar, piano, chess…) must not make
    "play the harmonica" a guitar goal, so they are dropped from goals like stopwords."""
    seen: dict[str, int] = {}
    for entry in catalog().values():
        for word in {w for name in (entry.title, *entry.aliases) for w in content_words(name, keep_common=True)}:
            seen[word] = seen.get(word, 0) + 1
    return frozenset(word for word, count in seen.items() if count >= COMMON_NAME_ENTRIES)


@functools.cache
def _index() -> tuple[_Index, ...]:
    built = []
    for entry in catalog().values():
        names = tuple(" ".join(content_words(name)) for name in (entry.title, *entry.aliases))
        name_words = frozenset(w for name in names for w in name.split())
        keyword_words = frozenset(w for keyword in entry.keywords for w in content_words(keyword)) - name_words
        built.append(_Index(entry, names, name_words, keyword_words))
    return tuple(built)


@functools.cache
def _domain_words() -> dict[str, str]:
    """Stem → domain for the domain vocabulary (skills the catalog has no plan for)."""
    return {stem(word): domain for domain, words in DOMAIN_WORDS.items() for word in words.split()}


@functools.cache
def _all_name_words() -> frozenset[str]:
    return frozenset(w for item in _index() for w in item.name_words)


def goal_words(query: str) -> list[str]:
    """The goal's content words with its targets ("1 km", "by June") removed, and two words
    joined when together they are one of the catalog's names ("sour dough", "hand stand")."""
    text = without_targets(query)
    if not content_words(text):
        text = query  # the target is the goal itself: "5k"
    raw = [w.strip("'") for w in _WORD.findall(text.lower())]
    joined: list[str] = []
    for word in raw:
        if joined and stem(joined[-1] + word) in _all_name_words() and stem(word) not in _all_name_words():
            joined[-1] += word
        else:
            joined.append(word)
    return content_words(" ".join(joined))


def _hit(word: str, vocabulary: frozenset[str]) -> float:
    """Similarity 0–100 of the goal word to its nearest word of the vocabulary. Short words and
    words of the domain vocabulary must be exact: "machine" is no typo of "chin"."""
    if word in vocabulary:
        return 100.0
    if len(word) <= 3 or not vocabulary or word in _domain_words():
        return 0.0
    found = process.extractOne(word, vocabulary, scorer=fuzz.ratio, score_cutoff=WORD_SIMILARITY)
    return found[1] if found else 0.0


def _score(words: list[str], item: _Index) -> tuple[float, float, bool]:
    """(score, coverage, whether the entry is named) of one entry for the goal's words. An entry
    is named by a word of its names or by two of its keywords ("hiragana and katakana"), and
    never when the goal names a skill of the domain vocabulary the entry does not know."""
    name_hits = [_hit(w, item.name_words) for w in words]
    keyword_hits = [0.0 if n else _hit(w, item.keyword_words) for w, n in zip(words, name_hits, strict=True)]
    weighted = sum(n / 100 if n else KEYWORD_WEIGHT * k / 100 for n, k in zip(name_hits, keyword_hits, strict=True))
    covered = sum(1 for n, k in zip(name_hits, keyword_hits, strict=True) if n or k)
    hits = zip(words, name_hits, keyword_hits, strict=True)
    other_skill = any(w in _domain_words() and not (n or k) for w, n, k in hits)
    named = (any(name_hits) or sum(1 for k in keyword_hits if k) >= 2) and not other_skill
    return 100 * weighted / len(words), covered / len(words), named


def _phrase(goal: str, item: _Index) -> float:
    return max(fuzz.token_sort_ratio(goal, name) for name in item.names)


def _scored_words(query: str) -> list[str]:
    """A bare number left after the targets are cut ("algebra 1") counts only when a name has it."""
    return [w for w in goal_words(query) if not w.isdigit() or w in _all_name_words()]


def match_goal(query: str) -> Match | None:
    """The catalog entry the goal names, or None when no entry accounts for it."""
    words = _scored_words(query)
    if not words:
        return None
    goal = " ".join(words)
    best: tuple[float, float, _Index] | None = None
    for item in _index():
        score, coverage, named = _score(words, item)
        if not named or coverage < MIN_COVERAGE:
            continue
        ranked = (score, _phrase(goal, item), item)
        if best is None or ranked[:2] > best[:2]:
            best = ranked
    return Match(best[2].entry, round(best[0], 1)) if best else None


def goal_domain(query: str) -> str | None:
    """The catalog domain a goal belongs to: the one whose entries' names and keywords, or whose
    vocabulary, account for most of its words; None when no word is known."""
    votes: dict[str, float] = {}
    for word in _scored_words(query):
        if word.isdigit():
            continue  # "1" is in "algebra 1" but says nothing about a domain
        if word in _domain_words():
            votes[_domain_words()[word]] = votes.get(_domain_words()[word], 0) + 1
            continue
        best: dict[str, float] = {}
        for item in _index():
            hit = _hit(word, item.name_words) or KEYWORD_WEIGHT * _hit(word, item.keyword_words)
            best[item.entry.domain] = max(best.get(item.entry.domain, 0), hit / 100)
        top = max(best.values(), default=0)
        for domain, hit in best.items():
            if hit and hit == top:
                votes[domain] = votes.get(domain, 0) + hit
    return max(sorted(votes), key=lambda d: votes[d]) if votes else None


def rank_entries(query: str) -> list[Match]:
    """Every entry, nearest to the goal first: word hits count first, then how close the goal
    reads to a name or keyword."""
    words = _scored_words(query)
    goal = " ".join(words) or query.lower()
    ranked = []
    for item in _index():
        score = _score(words, item)[0] if words else 0.0
        texts = (*item.names, *item.entry.keywords, item.entry.domain_label.lower())
        closeness = max(fuzz.WRatio(goal, text) for text in texts)
        ranked.append((score, closeness, item.entry.id, item.entry))
    ranked.sort(key=lambda r: (-r[0], -r[1], r[2]))
    return [Match(entry, round(max(score, closeness / 2), 1)) for score, closeness, _, entry in ranked]


def closest_entries(query: str, limit: int = 3) -> list[Match]:
    """The plans offered in place of a generic one: the nearest entries of the goal's domain
    (a cello goal is offered music plans), none when the goal's domain is unknown."""
    domain = goal_domain(query)
    if domain is None:
        return []
    return [match for match in rank_entries(query) if match.entry.domain == domain][:limit]
