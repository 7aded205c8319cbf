"""The LLM-backed generator: an OpenAI-compatible chat-completions endpoint, through urllib.

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

from ..plan import plan_errors
from .base import Generated, ms_since, skill_name_from
from .offline import offline_plan

LLM_SKILL_ID = "roadmap-deconstructor-llm"
LLM_NOT_CONFIGURED = "DECONSTRUCTION_LLM_URL and DECONSTRUCTION_LLM_MODEL are not set"
LLM_FALLBACK = "The language model's plan could not be used ({reason}); an offline plan was made instead."

# (url, headers, body, timeout in seconds) → (HTTP status, response body). Tests pass a fake.
Transport = Callable[[str, dict, bytes, float], tuple[int, bytes]]

SYSTEM_PROMPT = (
    "You deconstruct a learning goal into a practice plan. Answer with JSON only, shaped exactly as: "
    '{"levels": [{"level": 1, "title": "...", "description": "...", "milestones": [{"id": "unique-id", '
    '"title": "...", "description": "...", "doThisNow": {"prompt": "...", "reps": 1, "sets": 1, '
    '"successCriteria": "..."}, "estimatedTime": 30, "icon": "..."}]}], "totalEstimatedTime": 0, '
    '"difficulty": "beginner"}. Three levels numbered 1, 2, 3: foundation, practice, mastery. Milestone ids are '
    "unique across the plan. estimatedTime is in minutes; totalEstimatedTime is their sum. reps and sets are small "
    "integers ≥ 1. difficulty is beginner, intermediate or advanced. Make every prompt concrete and specific to "
    "the goal."
)
_FENCE = re.compile(r"^\s*```(?:json)?\s*(.*?)\s*```\s*$", re.DOTALL)


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
                         latency_ms=ms_since(start), tokens_used=tokens, cost_usd=self._cost(tokens))  # fmt: skip

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
        return data, tokens

    def _ask(self, query: str, skill_type: str) -> tuple[str, int]:
        body = {
            "model": self.model,
            "messages": [
                {"role": "system", "content": SYSTEM_PROMPT},
                {"role": "user", "content": f"Goal: {query}\nSkill type: {skill_type}"},
            ],
            "response_format": {"type": "json_object"},
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
