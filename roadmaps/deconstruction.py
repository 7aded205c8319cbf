"""The deconstruction engine: a goal ("learn to juggle") becomes a three-level plan.

One interface, chosen by the DECONSTRUCTION_GENERATOR setting (a dotted path):
  * `roadmaps.deconstruction.OfflineGenerator` (default): template plans shaped by the
    skill type and worded for the goal; no network.
  * `roadmaps.deconstruction.LLMGenerator`: an OpenAI-compatible chat-completions
    endpoint, configured by DECONSTRUCTION_LLM_URL, DECONSTRUCTION_LLM_MODEL,
    DECONSTRUCTION_LLM_API_KEY and DECONSTRUCTION_LLM_USD_PER_1K_TOKENS. It asks for the
    seed's JSON, validates it, and falls back to the offline plan, saying why, when the
    answer is unusable.
Each generation reports its latency, tokens and cost; the service logs it as a usage
event of the generator's skill, so it shows in the skills analytics.
"""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.utils.module_loading import import_string

from .models import SkillType
from .plan import plan_errors

OFFLINE_SKILL_ID = "roadmap-deconstructor"
LLM_SKILL_ID = "roadmap-deconstructor-llm"
LLM_NOT_CONFIGURED = "The LLM generator needs DECONSTRUCTION_LLM_URL and DECONSTRUCTION_LLM_MODEL."
LLM_BAD_ANSWER = "The model's answer was not a valid plan ({reason}); an offline plan was made instead."

_LEAD_INS = re.compile(
    r"^(i\s+(want|would like|wanna)\s+to\s+)?(learn(ing)?\s+(how\s+)?to\s+|learn(ing)?\s+|how\s+to\s+|"
    r"get\s+better\s+at\s+|master\s+|improve\s+(my\s+)?|practi[cs]e\s+)",
    re.IGNORECASE,
)


def skill_name_from(query: str) -> str:
    """'I want to learn to juggle three balls' → 'Juggle three balls'."""
    name = _LEAD_INS.sub("", query.strip().rstrip(".!?")).strip() or query.strip()
    return (name[:1].upper() + name[1:])[:255]


@dataclass
class Generated:
    data: dict
    skill_name: str
    skill_id: str
    latency_ms: int
    tokens_used: int = 0
    cost_usd: Decimal = Decimal(0)
    outcome: str = "success"
    error_type: str = ""
    warnings: list[str] = field(default_factory=list)


class OfflineGenerator:
    """Three levels (foundation → practice → mastery) worded for the goal and the skill type."""

    skill_id = OFFLINE_SKILL_ID

    def generate(self, query: str, skill_type: str) -> Generated:
        start = time.perf_counter()
        name = skill_name_from(query)
        data = offline_plan(name, skill_type)
        return Generated(data=data, skill_name=name, skill_id=self.skill_id, latency_ms=_ms_since(start))


def _ms_since(start: float) -> int:
    return max(0, round((time.perf_counter() - start) * 1000))


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


def _physical_levels(s: str, lo: str) -> list[tuple[str, str, list[dict]]]:
    return [
        ("Foundation", f"Set up and learn the basic movement of {lo}", [
            _milestone("m1-1", f"{s}: setup and warm-up", f"Get the space, gear and body ready for {lo}.",
                       f"Clear a safe space, lay out what {lo} needs, and warm up for 5 minutes.", 1, 1,
                       "You can start a session in under two minutes, already warm.", 15, "checklist"),
            _milestone("m1-2", f"{s}: the core movement, slowly", f"Break {lo} into its smallest movement.",
                       f"Do the simplest movement of {lo} at half speed, watching your form.", 3, 1,
                       "Three slow repetitions in a row without losing form.", 20, "directions_walk"),
        ]),
        ("Practice", f"Build consistency in {lo} with short daily drills", [
            _milestone("m2-1", f"{s}: five clean repetitions", f"Make the core movement of {lo} reliable.",
                       f"Do five clean repetitions of {lo} at a comfortable pace; rest 1 minute between sets.",
                       1, 2, "Two sets of five with at most one mistake each.", 25, "repeat"),
            _milestone("m2-2", f"{s}: film and fix one flaw", f"Watch yourself doing {lo} and correct one thing.",
                       f"Record 30 seconds of {lo}, pick the biggest flaw, and drill only that.", 2, 1,
                       "The flaw is gone in your second recording.", 30, "videocam"),
        ]),
        ("Mastery", f"Perform {lo} fluently and under pressure", [
            _milestone("m3-1", f"{s}: a full run without stopping", f"String the movements of {lo} together.",
                       f"Do {lo} continuously for two minutes, recovering from mistakes without stopping.", 1, 2,
                       "Two full runs, each with at most two recoveries.", 30, "emoji_events"),
            _milestone("m3-2", f"{s}: show someone", f"Perform {lo} for another person.",
                       f"Show {lo} to a friend (or a camera) and ask for one piece of feedback.", 1, 1,
                       "A complete performance and one piece of feedback written down.", 20, "groups"),
        ]),
    ]  # fmt: skip


def _abstract_levels(s: str, lo: str) -> list[tuple[str, str, list[dict]]]:
    return [
        ("Foundation", f"Learn the vocabulary and the first ideas of {lo}", [
            _milestone("m1-1", f"{s}: map the key terms", f"Find the ten words everyone in {lo} uses.",
                       f"Write down ten key terms of {lo}, each with a one-line definition in your own words.", 1, 1,
                       "Ten terms defined without looking anything up a second time.", 25, "menu_book"),
            _milestone("m1-2", f"{s}: a first worked example", f"Follow one complete worked example of {lo}.",
                       f"Find a beginner example of {lo} and reproduce it step by step yourself.", 2, 1,
                       "You reproduce the example twice, the second time without the guide.", 30, "school"),
        ]),
        ("Practice", f"Apply {lo} to small problems of your own", [
            _milestone("m2-1", f"{s}: three small exercises", f"Solve short exercises of {lo}.",
                       f"Solve three short exercises on {lo}, checking each answer before the next.", 3, 1,
                       "Three exercises solved with correct answers.", 45, "edit"),
            _milestone("m2-2", f"{s}: explain it back", f"Teach the idea of {lo} you found hardest.",
                       f"Explain the hardest idea of {lo} in writing, in under 200 words, with an example.", 1, 2,
                       "Two explanations a beginner could follow.", 30, "record_voice_over"),
        ]),
        ("Mastery", f"Use {lo} on a real project", [
            _milestone("m3-1", f"{s}: a mini-project", f"Build something small that needs {lo}.",
                       f"Plan and finish a one-hour project that uses {lo}, then list what you would improve.", 1, 1,
                       "The project works and you wrote down three improvements.", 60, "build"),
            _milestone("m3-2", f"{s}: review and share", f"Get feedback on your work in {lo}.",
                       f"Share your project on {lo} with someone more experienced and apply one suggestion.", 1, 2,
                       "Two rounds of feedback, each with one change made.", 40, "forum"),
        ]),
    ]  # fmt: skip


def offline_plan(skill_name: str, skill_type: str) -> dict:
    lowered = skill_name[:1].lower() + skill_name[1:]
    build = _physical_levels if skill_type == SkillType.PHYSICAL else _abstract_levels
    levels = [
        {"level": n, "title": f"Level {n}: {title}", "description": description, "milestones": milestones}
        for n, (title, description, milestones) in enumerate(build(skill_name, lowered), start=1)
    ]
    total = sum(m["estimatedTime"] for level in levels for m in level["milestones"])
    return {"levels": levels, "totalEstimatedTime": total, "difficulty": "beginner"}


# (url, headers, body, timeout) → (HTTP status, response body). Tests pass a fake.
Transport = Callable[[str, dict, bytes, float], tuple[int, bytes]]


def urllib_transport(url: str, headers: dict, body: bytes, timeout: float) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


SYSTEM_PROMPT = (
    "You deconstruct a learning goal into a practice plan. Answer with JSON only, shaped exactly as: "
    '{"levels": [{"level": 1, "title": "...", "description": "...", "milestones": [{"id": "unique-id", '
    '"title": "...", "description": "...", "doThisNow": {"prompt": "...", "reps": 1, "sets": 1, '
    '"successCriteria": "..."}, "estimatedTime": 30, "icon": "..."}]}], "totalEstimatedTime": 0, '
    '"difficulty": "beginner"}. Three levels: foundation, practice, mastery. totalEstimatedTime is the sum '
    "of estimatedTime (minutes). reps and sets are small integers ≥ 1."
)


class LLMGenerator:
    """An OpenAI-compatible chat-completions endpoint; falls back to the offline plan."""

    skill_id = LLM_SKILL_ID

    def __init__(self, transport: Transport | None = None) -> None:
        self.transport = transport or urllib_transport
        self.url = getattr(settings, "DECONSTRUCTION_LLM_URL", "")
        self.model = getattr(settings, "DECONSTRUCTION_LLM_MODEL", "")
        self.api_key = getattr(settings, "DECONSTRUCTION_LLM_API_KEY", "")
        self.usd_per_1k = Decimal(str(getattr(settings, "DECONSTRUCTION_LLM_USD_PER_1K_TOKENS", "0")))

    def generate(self, query: str, skill_type: str) -> Generated:
        if not (self.url and self.model):
            raise ValueError(LLM_NOT_CONFIGURED)
        start = time.perf_counter()
        name = skill_name_from(query)
        try:
            data, tokens = self._ask(query, skill_type)
        except (ValueError, OSError, KeyError, IndexError, TypeError) as error:
            return self._fallback(name, skill_type, start, reason=str(error) or type(error).__name__, tokens=0)
        errors = plan_errors(data)
        if errors:
            path, message = next(iter(errors.items()))
            return self._fallback(name, skill_type, start, reason=f"{path}: {message}", tokens=tokens)
        return Generated(
            data=data, skill_name=name, skill_id=self.skill_id, latency_ms=_ms_since(start),
            tokens_used=tokens, cost_usd=self._cost(tokens),
        )  # fmt: skip

    def _ask(self, query: str, skill_type: str) -> tuple[dict, int]:
        body = {
            "model": self.model,
            "messages": [
                {"role": "system", "content": SYSTEM_PROMPT},
                {"role": "user", "content": f"Goal: {query}\nSkill type: {skill_type}"},
            ],
            "response_format": {"type": "json_object"},
        }
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {self.api_key}"}
        status, raw = self.transport(self.url, headers, json.dumps(body).encode(), 60.0)
        if status != 200:
            raise ValueError(f"the endpoint answered HTTP {status}")
        answer = json.loads(raw)
        content = answer["choices"][0]["message"]["content"]
        tokens = int(answer.get("usage", {}).get("total_tokens", 0))
        return json.loads(content), tokens

    def _cost(self, tokens: int) -> Decimal:
        return (self.usd_per_1k * tokens / 1000).quantize(Decimal("0.000001"))

    def _fallback(self, name: str, skill_type: str, start: float, *, reason: str, tokens: int) -> Generated:
        return Generated(
            data=offline_plan(name, skill_type),
            skill_name=name,
            skill_id=self.skill_id,
            latency_ms=_ms_since(start),
            tokens_used=tokens,
            cost_usd=self._cost(tokens),
            outcome="error",
            error_type="InvalidPlan",
            warnings=[LLM_BAD_ANSWER.format(reason=reason)],
        )


def get_generator():
    path = getattr(settings, "DECONSTRUCTION_GENERATOR", "roadmaps.deconstruction.OfflineGenerator")
    return import_string(path)()
