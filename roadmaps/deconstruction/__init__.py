"""The deconstruction engine: a goal ("learn to juggle") becomes a three-level plan.

One interface — `generate(query, skill_type) -> Generated` — chosen by the
DECONSTRUCTION_GENERATOR setting (a dotted path; environment variable of the same name):

  * `roadmaps.deconstruction.OfflineGenerator` (default): foundation → practice → mastery,
    shaped by the skill type and worded for the goal and its domain (music, languages,
    programming…); no network. Skill id `roadmap-deconstructor`.
  * `roadmaps.deconstruction.LLMGenerator`: an OpenAI-compatible chat-completions endpoint.
    It asks for seed 003's JSON, validates it, and falls back to the offline plan with a
    warning saying why when the endpoint is not configured, unreachable, or answers
    something that is not a valid plan. Skill id `roadmap-deconstructor-llm`.
    Environment (each read from settings with getattr, so all are optional):
      DECONSTRUCTION_LLM_URL               e.g. https://api.openai.com/v1/chat/completions
      DECONSTRUCTION_LLM_MODEL             e.g. gpt-4o-mini
      DECONSTRUCTION_LLM_API_KEY           sent as "Authorization: Bearer …"
      DECONSTRUCTION_LLM_USD_PER_1K_TOKENS cost figure for the usage event (default 0)
      DECONSTRUCTION_LLM_TIMEOUT_SECONDS   per request (default 30)

Each generation reports its latency, tokens and cost; the services log it as one usage
event of the generator's skill (in the same transaction as the deconstruction), so it
shows in the skills analytics like any other skill.
"""

from __future__ import annotations

from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from .base import Generated, goal_phrase, ms_since, skill_name_from
from .llm import LLM_FALLBACK, LLM_NOT_CONFIGURED, LLM_SKILL_ID, LLMGenerator, Transport, urllib_transport
from .offline import OFFLINE_SKILL_ID, OfflineGenerator, kind_of, offline_plan

DEFAULT_GENERATOR = "roadmaps.deconstruction.OfflineGenerator"


class Generator(Protocol):
    skill_id: str

    def generate(self, query: str, skill_type: str) -> Generated: ...


def get_generator() -> Generator:
    return import_string(getattr(settings, "DECONSTRUCTION_GENERATOR", DEFAULT_GENERATOR))()


__all__ = [
    "DEFAULT_GENERATOR",
    "Generated",
    "Generator",
    "LLM_FALLBACK",
    "LLM_NOT_CONFIGURED",
    "LLM_SKILL_ID",
    "LLMGenerator",
    "OFFLINE_SKILL_ID",
    "OfflineGenerator",
    "Transport",
    "get_generator",
    "goal_phrase",
    "kind_of",
    "ms_since",
    "offline_plan",
    "skill_name_from",
    "urllib_transport",
]
