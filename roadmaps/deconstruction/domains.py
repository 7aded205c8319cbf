"""The words that make a generic plan concrete: the domain's vocabulary and kind.

The domain (music, languages, programming…) is recognised from words of the goal and
supplies the gear, the first drill, the finished piece and the audience, and whether the
skill is practised with the body, the mind or both; an unrecognised goal gets neutral words
and the mixed kind. The goal itself is not pasted into the plan: the roadmap's title says it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Vocabulary:
    gear: str = "everything you need"
    unit: str = "the simplest movement"
    piece: str = "a two-minute run"
    check: str = "without losing form"
    terms: str = "ten key terms"
    example: str = "one complete beginner example"
    exercise: str = "from a beginner course or book"
    project: str = "a one-hour project"
    audience: str = "a friend or someone more experienced"


@dataclass(frozen=True)
class Domain:
    name: str
    kind: str  # physical | abstract | mixed, as SkillType
    keywords: frozenset[str]
    words: Vocabulary


def _domain(name: str, kind: str, keywords: str, **words: str) -> Domain:
    return Domain(name, kind, frozenset(keywords.split()), replace(Vocabulary(), **words))


DOMAINS: tuple[Domain, ...] = (
    _domain(
        "music", "physical", "guitar piano ukulele violin cello drum drums bass flute saxophone trumpet harmonica "
        "oboe clarinet harp banjo mandolin sing singing song songs",
        gear="your instrument, a tuner and a metronome", unit="a change between two chords, or one scale",
        piece="a short song from start to finish", check="in time with the metronome",
        terms="the names of the notes, chords and rhythms your first songs use",
        example="a beginner song, one bar at a time", exercise="a scale, a chord change and a rhythm, each at 60 bpm",
        project="one complete song, recorded", audience="a friend, or a recording you play back",
    ),
    _domain(
        "languages", "mixed", "spanish french german italian portuguese japanese chinese mandarin cantonese korean "
        "arabic russian dutch greek hindi language languages vocabulary grammar",
        gear="a notebook, a flashcard app and a recording app", unit="ten everyday phrases, said aloud",
        piece="a two-minute conversation about your day", check="understood by a speaker or a speech-to-text app",
        terms="the 50 most common words and five everyday phrases",
        example="a beginner dialogue, reading both parts aloud", exercise="translating five sentences each way",
        project="a two-minute voice message about your day", audience="a native speaker or a language partner",
    ),
    _domain(
        "programming", "abstract", "python javascript typescript rust java kotlin swift golang sql django react html "
        "css programming coding code algorithms software",
        gear="an editor, a terminal and the language's interpreter or compiler",
        unit="a 20-line program, typed out and run", piece="a small program written from scratch",
        check="running without errors and passing a test you wrote",
        terms="the core syntax (variables, conditions, loops, functions) and the standard types",
        example="a 20-line program from a beginner tutorial",
        exercise="small katas such as FizzBuzz, reversing a string and counting words",
        project="a small command-line tool that solves a problem of yours, with tests",
        audience="a more experienced programmer (a code review)",
    ),
    _domain(
        "fitness", "physical", "run running 5k 10k marathon swim swimming handstand push-ups pull-ups yoga climbing "
        "skateboarding surfing tennis basketball soccer football boxing cycling squat deadlift stretching",
        gear="comfortable clothes, water and a timer", unit="the basic movement, broken into its parts",
        piece="a complete session: warm-up, main set and cool-down", check="with good form to the last repetition",
        terms="the movements, rules and training words of the sport", example="one beginner session from a coach",
        exercise="three timed technique drills", project="a four-week plan, followed for its first week",
        audience="a coach or a more experienced friend",
    ),
    _domain(
        "cooking", "physical", "bake baking cook cooking bread sourdough pastry cake pasta sushi knife recipe recipes",
        gear="your ingredients, weighed, and your tools",
        unit="the one technique the recipe depends on (kneading, chopping, folding…)",
        piece="the complete recipe", check="matching the recipe's description of the result",
        terms="the techniques and ingredients a beginner recipe names", example="one beginner recipe, exactly",
        exercise="the recipe's three hardest steps, each on its own", project="a full meal for two people",
        audience="someone who will eat it and tell you the truth",
    ),
    _domain(
        "art", "physical", "draw drawing paint painting sketch sketching watercolor watercolour calligraphy "
        "photography portrait portraits illustration",
        gear="paper, pencils or brushes, and a reference image", unit="basic shapes, lines and shading",
        piece="a finished piece from a reference image", check="with proportions close to the reference",
        terms="line, shape, value, proportion and perspective",
        example="a step-by-step beginner tutorial, stroke by stroke",
        exercise="three ten-minute studies of simple objects", project="a finished piece of a subject you love",
        audience="an online critique group or a friend",
    ),
    _domain(
        "mathematics", "abstract", "math maths mathematics algebra calculus statistics geometry probability physics "
        "chemistry trigonometry",
        gear="a notebook, a pencil and one good textbook or course", unit="one definition and one worked example",
        piece="a timed problem set", check="with answers checked against the solutions",
        terms="the definitions and notation of the first chapter",
        example="one worked example from the textbook, without looking at the solution",
        exercise="problems from the end of the chapter", project="a one-page write-up answering a real question",
        audience="a study group or a teacher",
    ),
    _domain(
        "games", "abstract", "chess poker sudoku rubik's rubiks backgammon checkers openings",
        gear="a board (or an app) and a notebook for your games", unit="one opening or pattern, played through",
        piece="a full game against a real opponent", check="with every move written down",
        terms="the rules, the notation and the names of the basic patterns",
        example="one annotated master game, replayed move by move", exercise="tactics puzzles",
        project="three full games, each annotated afterwards", audience="a stronger player who reviews a game",
    ),
    _domain(
        "communication", "mixed", "speaking speech presentation presentations writing essay essays storytelling poetry "
        "negotiation debate",
        gear="a notes app, a timer and a way to record yourself", unit="a one-minute talk or paragraph",
        piece="a five-minute talk or a one-page piece", check="on time and without reading from notes",
        terms="the parts of a talk or text: hook, structure, transitions, close",
        example="a short talk or essay you admire, outlined part by part",
        exercise="one-minute pieces on random topics", project="a five-minute talk or a 1,000-word piece, delivered",
        audience="a friendly audience of two or three people",
    ),
)  # fmt: skip

GENERIC = Domain("general", "mixed", frozenset(), Vocabulary())


def domain_of(query: str) -> Domain:
    """The first domain sharing a word with the goal; the generic one otherwise."""
    words = set(re.findall(r"[\w'+-]+", query.lower()))
    return next((domain for domain in DOMAINS if domain.keywords & words), GENERIC)
