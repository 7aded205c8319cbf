"""The generic engine: a starter plan for a goal the catalog has no expert plan for, with no network.

It does not pretend to know the skill. Its plan is the method that works for learning
almost anything — define the target, find one good resource, practise the smallest part
in short sessions, fix the weakest point, use it for real, get feedback — worded for how the
skill is practised (physical: set-up, slow repetitions, filming; abstract: terms, worked
examples, exercises; mixed or unknown: both) and for its domain when one is recognised
(a metronome for music, katas for programming). The goal's words stay out of the
milestones: the roadmap's title carries them, and "warm up before asdf qwer" helped nobody.
Each level's first milestone waits for the level before it (prerequisites).
"""

from __future__ import annotations

import time

from ..choices import ActivityType, SkillType
from .base import Generated, ms_since, skill_name_from
from .domains import Vocabulary, domain_of

OFFLINE_SKILL_ID = "roadmap-deconstructor"

Level = tuple[str, str, list[dict]]


def _milestone(mid: str, title: str, description: str, prompt: str, reps: int, sets: int, criteria: str,
               minutes: int, icon: str, practice: str) -> dict:  # fmt: skip
    return {
        "id": mid,
        "title": title,
        "description": description,
        "doThisNow": {"prompt": prompt, "reps": reps, "sets": sets, "successCriteria": criteria},
        "estimatedTime": minutes,
        "icon": icon,
        "practiceType": practice,
    }


def _define_target(w: Vocabulary) -> dict:
    return _milestone("m1-1", "Define what you want to be able to do",
                      "A concrete target tells you what to practise and when you are done.",
                      "Write one sentence describing what you want to be able to do in three months, then list the "
                      "three smaller skills it needs, easiest first.", 1, 1,
                      "A one-sentence target and a list of its smaller skills, written down.", 15, "flag",
                      ActivityType.WRITING)  # fmt: skip


def _physical_levels(w: Vocabulary) -> list[Level]:
    drill = ActivityType.DRILL
    return [
        ("Foundation", "Set up, and learn the basic movement slowly and correctly.", [
            _milestone("m1-1", "Set up your practice space", "Practice that starts in two minutes happens more often.",
                       f"Get {w.gear} ready in one place, with room to move safely, and write down what you want "
                       "to be able to do in three months.", 1, 1,
                       "Set up and practising within two minutes, with your target written down.", 20, "checklist",
                       drill),
            _milestone("m1-2", "The basic movement, slowly", "Slow, correct repetitions build the right habit.",
                       f"Practise {w.unit} at half speed, watching one point of form at a time.", 3, 1,
                       f"3 slow repetitions in a row, {w.check}.", 30, "directions_walk", drill),
        ]),
        ("Practice", "Short, frequent sessions that make the basics reliable.", [
            _milestone("m2-1", "Clean repetitions", "Consistency comes from many short, focused sets.",
                       f"Do a set of five clean repetitions of {w.unit}, rest a minute, and do a second set.", 5, 2,
                       f"2 sets of 5 clean repetitions, {w.check}.", 40, "repeat", drill),
            _milestone("m2-2", "Film it and fix one flaw", "You see from outside what feels right but is not.",
                       "Record 30 seconds of practice, choose the biggest flaw, and drill only that for ten minutes; "
                       "then record again.", 1, 2, "The flaw smaller on the second recording, on 2 occasions.", 40,
                       "videocam", drill),
        ]),
        ("Performance", "Put the parts together and do it for someone.", [
            _milestone("m3-1", "A full run without stopping", "Carrying on through mistakes is a skill too.",
                       f"Do {w.piece}, carrying on through mistakes.", 1, 3,
                       f"3 full runs, {w.check}.", 45, "emoji_events", drill),
            _milestone("m3-2", "Show someone and get feedback", "Another person notices what you cannot.",
                       f"Perform {w.piece} for {w.audience}, and write down one thing to improve next.", 1, 1,
                       "A full performance given and one improvement written down.", 20, "groups", ActivityType.OTHER),
        ]),
    ]  # fmt: skip


def _abstract_levels(w: Vocabulary) -> list[Level]:
    reading, writing = ActivityType.READING, ActivityType.WRITING
    return [
        ("Foundation", "The vocabulary and a first worked example.", [
            _define_target(w),
            _milestone("m1-2", "Learn the key terms", "Every field has words its beginners' resources assume.",
                       f"Write down 10 key terms, starting with {w.terms}, each defined in your own words.",
                       10, 1,
                       "10 terms defined in your own words without looking them up again.", 30, "menu_book", reading),
            _milestone("m1-3", "Follow one worked example", "Seeing the whole of one example before doing your own.",
                       f"Reproduce {w.example} step by step, then once more without the guide.", 1, 2,
                       "The example reproduced 2 times, the second without the guide.", 40, "school", reading),
        ]),
        ("Practice", "Short exercises, checked, in frequent sessions.", [
            _milestone("m2-1", "Short exercises", "Doing, not reading, is where understanding is tested.",
                       f"Solve three short exercises ({w.exercise}), checking each answer before the next.", 3, 3,
                       "9 exercises solved and checked, 3 in each of 3 sessions.", 90, "edit", ActivityType.OTHER),
            _milestone("m2-2", "Explain the hardest idea", "If you can explain it simply, you understand it.",
                       "Explain the idea you found hardest in under 200 words with an example, as if to a beginner.",
                       1, 2, "2 explanations a beginner could follow.", 40, "record_voice_over", writing),
        ]),
        ("Application", "Use it on something real and get it reviewed.", [
            _milestone("m3-1", "A small project", "A real task shows what you can do and what is missing.",
                       f"Plan and finish {w.project}; then list three things you would improve.", 1, 1,
                       "The project finished and its improvements listed.", 90, "build", ActivityType.OTHER),
            _milestone("m3-2", "Get a review", "Feedback from someone further along saves weeks.",
                       f"Show your project to {w.audience}, ask for the one change that would help most, and make it.",
                       1, 1, "One review received and its main point acted on.", 40, "forum", writing),
        ]),
    ]  # fmt: skip


def _mixed_levels(w: Vocabulary) -> list[Level]:
    other = ActivityType.OTHER
    return [
        ("Foundation", "A clear target, one good resource and the first small step.", [
            _define_target(w),
            _milestone("m1-2", "Choose one beginner resource", "One good course, book or teacher beats ten bookmarks.",
                       "Compare three beginner resources (a course, a book, a teacher or club), pick one, and skim its "
                       "contents to see the path it takes.", 1, 1,
                       "One resource chosen and its outline read.", 30, "travel_explore", ActivityType.READING),
            _milestone("m1-3", "The smallest useful step", "Start with the part everything else depends on.",
                       "Do the first lesson or exercise of your resource, then repeat it the next day without help.",
                       1, 2, "The first lesson done on 2 days, the second without help.", 40, "directions_walk", other),
        ]),
        ("Practice", "Short, regular sessions on the weakest point.", [
            _milestone("m2-1", "A week of short sessions", "Frequent short practice beats rare long sessions.",
                       "Practise for 20 minutes a day, following your resource, and note one thing that got easier.",
                       1, 7, "7 sessions in a week, each with one note.", 140, "event_repeat", other),
            _milestone("m2-2", "Work on the weakest point", "Progress comes from the part you avoid.",
                       "Pick the sub-skill from your list that is weakest, and spend a whole session on only that.",
                       1, 3, "3 sessions on the weakest sub-skill, with a visible improvement.", 60, "tune", other),
        ]),
        ("Application", "Try it for real and get feedback.", [
            _milestone("m3-1", "Try it for real", "A real attempt shows what practice alone cannot.",
                       "Use the skill once in a real situation (a real task, a conversation, a performance) and write "
                       "down what went well and what did not.", 1, 1,
                       "One real attempt made and reviewed in writing.", 60, "emoji_events", other),
            _milestone("m3-2", "Get feedback and plan the next step", "Someone further along sees the next step.",
                       f"Show your attempt to {w.audience}, ask what to work on next, and add it to your list.", 1, 1,
                       "One piece of feedback received and the next target written down.", 30, "forum", other),
        ]),
    ]  # fmt: skip


LEVEL_SHAPES = {SkillType.PHYSICAL: _physical_levels, SkillType.ABSTRACT: _abstract_levels,
                SkillType.MIXED: _mixed_levels}  # fmt: skip


def kind_of(query: str) -> str:
    """The kind a goal's domain implies (fitness: physical, maths: abstract); mixed when unknown."""
    return domain_of(query).kind


def offline_plan(query: str, skill_type: str = "") -> dict:
    """A valid generic plan; its total adds up by construction, and each level waits for the one before."""
    words = domain_of(query).words
    build = LEVEL_SHAPES.get(skill_type or kind_of(query), _mixed_levels)
    levels = []
    for n, (title, description, milestones) in enumerate(build(words), start=1):
        if levels:
            milestones[0]["prerequisites"] = [m["id"] for m in levels[-1]["milestones"]]
        levels.append({"level": n, "title": f"Level {n}: {title}", "description": description,
                       "milestones": milestones})  # fmt: skip
    total = sum(m["estimatedTime"] for level in levels for m in level["milestones"])
    return {"levels": levels, "totalEstimatedTime": total, "difficulty": "beginner"}


class OfflineGenerator:
    """A generic starter plan shaped by the skill's kind and domain; no network, no cost."""

    skill_id = OFFLINE_SKILL_ID

    def generate(self, query: str, skill_type: str) -> Generated:
        start = time.perf_counter()
        data = offline_plan(query, skill_type)
        return Generated(data=data, skill_name=skill_name_from(query), skill_id=self.skill_id,
                         latency_ms=ms_since(start))  # fmt: skip
