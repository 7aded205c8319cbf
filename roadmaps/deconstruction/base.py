"""What every generator returns, and the goal → skill name rule they share."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from decimal import Decimal

_LEAD_INS = re.compile(
    r"^(i\s+(want|would like|wanna)\s+to\s+)?(learn(ing)?\s+(how\s+)?to\s+|learn(ing)?\s+|how\s+to\s+|"
    r"get\s+better\s+at\s+|master\s+|improve\s+(my\s+)?|practi[cs]e\s+)",
    re.IGNORECASE,
)


def goal_phrase(query: str) -> str:
    """The goal without its lead-in, as written: 'I want to learn to juggle' → 'juggle'."""
    return (_LEAD_INS.sub("", query.strip().rstrip(".!?")).strip() or query.strip())[:255]


def skill_name_from(query: str) -> str:
    """'I want to learn to juggle three balls' → 'Juggle three balls'."""
    name = goal_phrase(query)
    return name[:1].upper() + name[1:]


@dataclass
class Generated:
    """A plan and what making it cost: the usage event's latency, tokens, cost and outcome.

    `origin` says where the plan came from (PlanOrigin: catalog, generic or llm), `catalog_entry`
    which expert plan was copied, `skill_type` the kind the plan was made for, and `closest`
    the catalog entries offered when none matched."""

    data: dict
    skill_name: str
    skill_id: str
    latency_ms: int
    tokens_used: int = 0
    cost_usd: Decimal = Decimal(0)
    outcome: str = "success"
    error_type: str = ""
    warnings: list[str] = field(default_factory=list)
    origin: str = "generic"
    catalog_entry: str = ""
    skill_type: str = ""
    closest: list = field(default_factory=list)


def ms_since(start: float) -> int:
    return max(0, round((time.perf_counter() - start) * 1000))
