"""What each skill's uses cost: Claude Code's model requests (`api_request`) shared among the skill
uses active in them. Read from the joined uses and the requests (never from the log).

The rule. A request counts for the skill uses of its own prompt (`prompt.id`, same user and
session) that began before it (`event.sequence`: the use's activation, else its tool result).
When Claude Code names the skill active for the request (`skill.name`, with its plugin), only
the active uses of that skill share it. The request's cost and tokens (input, output and cache
creation; cache reads re-read context already counted) are split evenly among them. A request
before any skill use of its prompt, or without a prompt id, counts for no skill. Each request is
split, never copied, so the skills' shares of a session never add up to more than its cost.
Uses known only from the hook or a transcript carry no prompt id and get no share (a transcript's
tokens are on the event itself, `tokens_used`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from skills.models import AgentApiRequest, Outcome, SkillUse

MICRO = Decimal("0.000001")


@dataclass(frozen=True)
class SkillCost:
    cost_usd: Decimal
    tokens: int
    uses: int  # uses in prompts that reported model requests
    successes: int

    @property
    def cost_per_use(self) -> Decimal | None:
        return (self.cost_usd / self.uses).quantize(MICRO, ROUND_HALF_EVEN) if self.uses else None

    @property
    def cost_per_success(self) -> Decimal | None:
        return (self.cost_usd / self.successes).quantize(MICRO, ROUND_HALF_EVEN) if self.successes else None


NO_COST = SkillCost(Decimal(0), 0, 0, 0)


def _start(use: SkillUse) -> int | None:
    return use.activation_sequence if use.activation_sequence is not None else use.result_sequence


def _names_match(use: SkillUse, named: str) -> bool:
    return use.skill_name == named or use.skill_name.rsplit(":", 1)[-1] == named


def request_shares(uses: list[SkillUse], requests: list[AgentApiRequest]) -> dict[int, tuple[Decimal, int]]:
    """{use id: (cost, tokens)} of one prompt's uses, by the rule above."""
    shares: dict[int, list] = defaultdict(lambda: [Decimal(0), 0])
    for request in requests:
        if request.sequence is None:
            continue
        active = [use for use in uses if _start(use) is not None and _start(use) < request.sequence]
        named = [use for use in active if request.skill_name and _names_match(use, request.skill_name)]
        sharing = named or active
        if not sharing:
            continue
        tokens = request.input_tokens + request.output_tokens + request.cache_creation_tokens
        for use in sharing:
            shares[use.pk][0] += request.cost_usd / len(sharing)
            shares[use.pk][1] += tokens / len(sharing)
    return {pk: (cost.quantize(MICRO, ROUND_HALF_EVEN), round(tokens)) for pk, (cost, tokens) in shares.items()}


def skill_costs(skill_ids: list[str], *, since: datetime | None = None) -> dict[str, SkillCost]:
    """Each skill's attributed cost over its uses since `since` (default: the last
    SKILL_HEALTH_WINDOW_DAYS): two queries, the uses and their prompts' requests."""
    since = since or timezone.now() - timedelta(days=settings.SKILL_HEALTH_WINDOW_DAYS)
    uses = list(SkillUse.objects.filter(counted_skill_id__in=skill_ids, occurred_at__gte=since).exclude(prompt_id=""))
    if not uses:
        return {}
    prompts: dict[tuple, list[SkillUse]] = defaultdict(list)
    for use in uses:
        prompts[(use.user_id, use.session_id, use.prompt_id)].append(use)
    # The prompts' other uses share their requests too, whatever skill they count for.
    condition = Q()
    for user_id, session_id, prompt_id in prompts:
        condition |= Q(user_id=user_id, session_id=session_id, prompt_id=prompt_id)
    requests: dict[tuple, list[AgentApiRequest]] = defaultdict(list)
    for request in AgentApiRequest.objects.filter(condition):
        requests[(request.user_id, request.session_id, request.prompt_id)].append(request)
    others = SkillUse.objects.filter(condition).exclude(pk__in=[use.pk for use in uses]).exclude(released_at=None)
    for use in others:
        prompts[(use.user_id, use.session_id, use.prompt_id)].append(use)
    totals: dict[str, list] = defaultdict(lambda: [Decimal(0), 0, 0, 0])
    for key, prompt_uses in prompts.items():
        if not requests.get(key):
            continue
        shares = request_shares(prompt_uses, requests[key])
        for use in prompt_uses:
            if use.counted_skill_id not in skill_ids or use.occurred_at < since:
                continue
            cost, tokens = shares.get(use.pk, (Decimal(0), 0))
            total = totals[use.counted_skill_id]
            total[0] += cost
            total[1] += tokens
            total[2] += 1
            total[3] += use.outcome == Outcome.SUCCESS
    return {skill_id: SkillCost(*values) for skill_id, values in totals.items()}
