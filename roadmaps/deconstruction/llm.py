"""The LLM-backed generator: an OpenAI-compatible chat-completions endpoint, through urllib.

It is asked for goals the catalog has no expert plan for. The request shows the model the
closest catalog plans as examples of the depth and honesty wanted (real sub-skills in
teaching order, reps × sets that match the success criteria, realistic minutes), and holds
the answer to the plan's JSON Schema (`response_format: json_schema`, strict), so an
endpoint that supports structured output cannot answer another shape. The answer is still
validated, since not every endpoint enforces the schema.

Whatever goes wrong — not configured, unreachable, an HTTP error, an answer that is not
JSON or not a valid plan — the learner still gets a plan: the offline one, with a warning
naming the reason, and the usage event records the failure (outcome "error", its type).
"""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from decimal import Decimal

from django.conf import settings

from ..catalog.matching import closest_entries
from ..choices import PlanOrigin
from ..plan import PLAN_JSON_SCHEMA, plan_errors, unlocks_by_path
from .base import Generated, ms_since, skill_name_from
from .offline import offline_plan

LLM_SKILL_ID = "roadmap-deconstructor-llm"
LLM_NOT_CONFIGURED = "DECONSTRUCTION_LLM_URL and DECONSTRUCTION_LLM_MODEL are not set"
ENGINE_MAY_NOT_UNLOCK = "an engine's plan may not unlock agent skills"
LLM_FALLBACK = "The language model's plan could not be used ({reason}); an offline plan was made instead."

# (url, headers, body, timeout in seconds) → (HTTP status, response body). Tests pass a fake.
Transport = Callable[[str, dict, bytes, float], tuple[int, bytes]]

SYSTEM_PROMPT = (
    "You are an expert teacher who deconstructs a learning goal into a practice plan. Answer with JSON only, "
    "in the shape of the JSON schema given, like the example plans: levels numbered 1, 2, 3…, each with "
    "milestones that are the real sub-skills of this skill in the order experts teach them (never generic steps, "
    "never the goal's words pasted into titles). Each milestone has a unique id, a do-this-now prompt for one "
    "practice session, reps × sets equal to the count its successCriteria asks for, estimatedTime in minutes for "
    "the whole milestone (be honest: a language is hundreds of hours), a practiceType, an icon name, and the ids "
    "of the milestones it needs first in prerequisites (an empty list when order does not matter). "
    "totalEstimatedTime is the sum of the milestones' estimatedTime; difficulty is beginner, intermediate or "
    "advanced."
)
EXAMPLES = 2  # closest catalog plans shown to the model
_FENCE = re.compile(r"^\s*```(?:json)?\s*(.*?)\s*```\s*$", re.DOTALL)


def examples_for(query: str) -> list[dict]:
    """The closest catalog plans as earlier turns of the conversation: goal → plan."""
    messages = []
    for match in closest_entries(query, limit=EXAMPLES):
        entry = match.entry
        messages.append({"role": "user", "content": f"Goal: {entry.title}\nSkill type: {entry.kind}"})
        plan = entry.plan_copy()
        for level in plan["levels"]:
            for milestone in level["milestones"]:
                milestone.pop("unlocks_skills", None)  # the engine's plans may not unlock skills
        messages.append({"role": "assistant", "content": json.dumps(plan, ensure_ascii=False)})
    return messages


class GenerationFailed(Exception):
    def __init__(self, error_type: str, reason: str, tokens: int = 0) -> None:
        super().__init__(reason)
        self.error_type, self.reason, self.tokens = error_type, reason, tokens


def urllib_transport(url: str, headers: dict, body: bytes, timeout: float) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


class LLMGenerator:
    """Asks the endpoint for seed 003's JSON and validates it; falls back to the offline plan."""

    skill_id = LLM_SKILL_ID

    def __init__(self, transport: Transport | None = None) -> None:
        self.transport = transport or urllib_transport
        self.url = getattr(settings, "DECONSTRUCTION_LLM_URL", "")
        self.model = getattr(settings, "DECONSTRUCTION_LLM_MODEL", "")
        self.api_key = getattr(settings, "DECONSTRUCTION_LLM_API_KEY", "")
        self.usd_per_1k = Decimal(str(getattr(settings, "DECONSTRUCTION_LLM_USD_PER_1K_TOKENS", "0") or "0"))
        self.timeout = float(getattr(settings, "DECONSTRUCTION_LLM_TIMEOUT_SECONDS", 30))

    def generate(self, query: str, skill_type: str) -> Generated:
        start = time.perf_counter()
        try:
            data, tokens = self._plan(query, skill_type)
        except GenerationFailed as failure:
            return self._fallback(query, skill_type, start, failure)
        return Generated(data=data, skill_name=skill_name_from(query), skill_id=self.skill_id,
                         latency_ms=ms_since(start), tokens_used=tokens, cost_usd=self._cost(tokens),
                         origin=PlanOrigin.LLM)  # fmt: skip

    def _plan(self, query: str, skill_type: str) -> tuple[dict, int]:
        if not (self.url and self.model):
            raise GenerationFailed("NotConfigured", LLM_NOT_CONFIGURED)
        content, tokens = self._ask(query, skill_type)
        try:
            data = json.loads(_FENCE.sub(r"\1", content))
        except ValueError as error:
            raise GenerationFailed("InvalidPlan", f"not JSON: {error}", tokens) from error
        errors = plan_errors(data)
        if errors:
            path, message = next(iter(errors.items()))
            raise GenerationFailed("InvalidPlan", f"{path}: {message}", tokens)
        unlocking = unlocks_by_path(data)
        if unlocking:
            raise GenerationFailed("InvalidPlan", f"{next(iter(unlocking))}: {ENGINE_MAY_NOT_UNLOCK}", tokens)
        return data, tokens

    def _ask(self, query: str, skill_type: str) -> tuple[str, int]:
        body = {
            "model": self.model,
            "messages": [
                {"role": "system", "content": SYSTEM_PROMPT},
                *examples_for(query),
                {"role": "user", "content": f"Goal: {query}\nSkill type: {skill_type}"},
            ],
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": "skill_plan", "strict": True, "schema": PLAN_JSON_SCHEMA},
            },
        }
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {self.api_key}"}
        try:
            status, raw = self.transport(self.url, headers, json.dumps(body).encode(), self.timeout)
        except OSError as error:  # URLError, timeouts, refused connections
            raise GenerationFailed("Unreachable", f"the endpoint could not be reached: {error}") from error
        if status != 200:
            raise GenerationFailed("HTTPError", f"the endpoint answered HTTP {status}")
        try:
            answer = json.loads(raw)
            tokens = int((answer.get("usage") or {}).get("total_tokens") or 0)
            return str(answer["choices"][0]["message"]["content"]), tokens
        except (ValueError, KeyError, IndexError, TypeError, AttributeError) as error:
            raise GenerationFailed("BadResponse", "not a chat-completions answer") from error

    def _cost(self, tokens: int) -> Decimal:
        return (self.usd_per_1k * tokens / 1000).quantize(Decimal("0.000001"))

    def _fallback(self, query: str, skill_type: str, start: float, failure: GenerationFailed) -> Generated:
        return Generated(
            data=offline_plan(query, skill_type),
            skill_name=skill_name_from(query),
            skill_id=self.skill_id,
            latency_ms=ms_since(start),
            tokens_used=failure.tokens,
            cost_usd=self._cost(failure.tokens),
            outcome="error",
            error_type=failure.error_type,
            warnings=[LLM_FALLBACK.format(reason=failure.reason)],
        )
