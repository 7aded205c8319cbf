"""The default generator: foundation → practice → mastery, with no network.

The skill type picks the shape (physical: warm up, drill, film, perform; abstract: terms,
worked example, exercises, project); the goal and its domain fill in the words, so
"play the ukulele" gets a tuner and a metronome and "learn Python" gets katas and tests.
"""

from __future__ import annotations

import time

from ..models import SkillType
from .base import Generated, goal_phrase, ms_since, skill_name_from
from .domains import Vocabulary, domain_of, topic_of

OFFLINE_SKILL_ID = "roadmap-deconstructor"

Level = tuple[str, str, list[dict]]


def _milestone(mid: str, title: str, description: str, prompt: str, reps: int, sets: int, criteria: str,
               minutes: int, icon: str) -> dict:  # fmt: skip
    return {
        "id": mid,
        "title": title,
        "description": description,
        "doThisNow": {"prompt": prompt, "reps": reps, "sets": sets, "successCriteria": criteria},
        "estimatedTime": minutes,
        "icon": icon,
    }


def _physical_levels(s: str, t: str, w: Vocabulary) -> list[Level]:
    return [
        ("Foundation", f"Set up and learn the basic movement of {t}", [
            _milestone("m1-1", f"{s}: setup and warm-up", f"Get the space, gear and body ready for {t}.",
                       f"Lay out {w.gear}, clear a safe space, and warm up for 5 minutes before {t}.", 1, 1,
                       "You can start a session in under two minutes, already warm.", 15, "checklist"),
            _milestone("m1-2", f"{s}: the basics, slowly", f"Break {t} into its smallest parts.",
                       f"Practise {w.unit} at half speed, watching your form: the first building block of {t}.",
                       3, 1, f"Three slow repetitions in a row, {w.check}.", 20, "directions_walk"),
        ]),
        ("Practice", f"Build consistency in {t} with short daily drills", [
            _milestone("m2-1", f"{s}: clean repetitions", f"Make the basics of {t} reliable.",
                       f"Do five clean repetitions of {w.unit}, resting 1 minute between sets, to make {t} "
                       "reliable.", 1, 2, f"Two sets of five, {w.check}, with at most one mistake each.", 25,
                       "repeat"),
            _milestone("m2-2", f"{s}: film and fix one flaw", "See yourself from the outside and correct one thing.",
                       f"Record 30 seconds of {t}, pick the biggest flaw, and drill only that for 10 minutes.", 2, 1,
                       "The flaw is gone in your second recording.", 30, "videocam"),
        ]),
        ("Mastery", f"Perform {t} fluently and under pressure", [
            _milestone("m3-1", f"{s}: a full run without stopping", f"String the parts of {t} together.",
                       f"Put {t} together: {w.piece}, recovering from mistakes without stopping.", 1, 2,
                       f"Two full runs, {w.check}, each with at most two recoveries.", 30, "emoji_events"),
            _milestone("m3-2", f"{s}: show someone", f"Perform {t} for another person.",
                       f"Perform {w.piece} for {w.audience}, then write down one thing to improve about {t}.", 1, 1,
                       "A complete performance and one piece of feedback written down.", 20, "groups"),
        ]),
    ]  # fmt: skip


def _abstract_levels(s: str, t: str, w: Vocabulary) -> list[Level]:
    return [
        ("Foundation", f"Learn the vocabulary and the first ideas of {t}", [
            _milestone("m1-1", f"{s}: map the key terms", f"Find the words everyone in {t} uses.",
                       f"For {t}, write down {w.terms}, each with a one-line definition in your own words.", 1, 1,
                       "Every term defined without looking anything up a second time.", 25, "menu_book"),
            _milestone("m1-2", f"{s}: a first worked example", f"Follow one complete worked example of {t}.",
                       f"For {t}, reproduce {w.example} step by step yourself.", 2, 1,
                       "You reproduce it twice, the second time without the guide.", 30, "school"),
        ]),
        ("Practice", f"Apply {t} to small problems of your own", [
            _milestone("m2-1", f"{s}: three small exercises", f"Solve short exercises of {t}.",
                       f"For {t}, solve three short exercises ({w.exercise}), checking each before the next.", 3, 1,
                       "Three exercises solved with correct answers.", 45, "edit"),
            _milestone("m2-2", f"{s}: explain it back", f"Teach the idea of {t} you found hardest.",
                       f"Explain the hardest idea of {t} in writing, in under 200 words, with an example.", 1, 2,
                       "Two explanations a beginner could follow.", 30, "record_voice_over"),
        ]),
        ("Mastery", f"Use {t} on a real project", [
            _milestone("m3-1", f"{s}: a mini-project", f"Build something that needs {t}.",
                       f"Plan and finish {w.project}, using {t}; then list three things you would improve.", 1, 1,
                       "It is finished and you wrote down three improvements.", 60, "build"),
            _milestone("m3-2", f"{s}: review and share", f"Get feedback on your work in {t}.",
                       f"Show your project to {w.audience}, ask for one way to get better at {t}, and apply it.",
                       1, 2, "Two rounds of feedback, each with one change made.", 40, "forum"),
        ]),
    ]  # fmt: skip


def offline_plan(query: str, skill_type: str) -> dict:
    """A valid plan in seed 003's shape for the goal; its total adds up by construction."""
    name, topic, words = skill_name_from(query), topic_of(goal_phrase(query)), domain_of(query).words
    build = _physical_levels if skill_type == SkillType.PHYSICAL else _abstract_levels
    levels = [
        {"level": n, "title": f"Level {n}: {title}", "description": description, "milestones": milestones}
        for n, (title, description, milestones) in enumerate(build(name, topic, words), start=1)
    ]
    total = sum(m["estimatedTime"] for level in levels for m in level["milestones"])
    return {"levels": levels, "totalEstimatedTime": total, "difficulty": "beginner"}


class OfflineGenerator:
    """Three levels worded for the goal, its domain and the skill type; no network, no cost."""

    skill_id = OFFLINE_SKILL_ID

    def generate(self, query: str, skill_type: str) -> Generated:
        start = time.perf_counter()
        data = offline_plan(query, skill_type)
        return Generated(data=data, skill_name=skill_name_from(query), skill_id=self.skill_id,
                         latency_ms=ms_since(start))  # fmt: skip
