"""A goal into a saved plan: the catalog's expert plan or the engine's generic one, and the
deconstruction written with its usage event.

The engine (maybe a network call to a model) runs in `deconstruction_generate`, before any
transaction opens.
"""

from __future__ import annotations

import hashlib
import time
import uuid

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from skills.ingestion.record import usage_events_record

from ..agent_skills import unlock_refusals
from ..catalog import CatalogEntry, get_entry
from ..catalog.matching import closest_entries, match_goal
from ..deconstruction import Generated, get_generator, kind_of, ms_since
from ..models import PlanOrigin, SkillDeconstruction, SkillType
from ..plan import validate_plan

QUERY_REQUIRED = "Describe what you want to learn."
BAD_SKILL_TYPE = f"must be one of {', '.join(SkillType.values)}"
GENERATION_WORKFLOW = "roadmaps/deconstruct"
CATALOG_SKILL_ID = "roadmap-catalog"
UNKNOWN_CATALOG_ENTRY = "No catalog plan has the id {entry!r}."
NO_CATALOG_MATCH = "No expert plan matches this goal yet, so this is a generic plan. Closest expert plans: {titles}."
NO_CATALOG_MATCH_NOR_DOMAIN = "No expert plan matches this goal yet, so this is a generic plan."


def _log_generation(owner, generated: Generated, deconstruction: SkillDeconstruction) -> None:
    """The generation as one usage event of the generator's skill (latency, tokens, cost),
    written in the deconstruction's transaction: both are kept, or neither."""
    usage_events_record(
        events=[
            {
                "event_id": str(uuid.uuid4()),
                "skill_id": generated.skill_id,
                "outcome": generated.outcome,
                "latency_ms": generated.latency_ms,
                "tokens_used": generated.tokens_used,
                "cost_usd": str(generated.cost_usd),
                "error_type": generated.error_type,
                "workflow_path": GENERATION_WORKFLOW,
                "input_hash": hashlib.sha256(deconstruction.user_query.encode()).hexdigest(),
                "artifacts": {
                    "deconstruction_id": str(deconstruction.pk),
                    "skill_type": deconstruction.skill_type,
                    "origin": deconstruction.origin,
                    "catalog_entry": deconstruction.catalog_entry,
                },
                "occurred_at": timezone.now().isoformat(),
            }
        ],
        user=owner,
        registers=True,  # the server's own event about its own generator: it may register that skill
    )


def goal_validate(user_query: str, skill_type: str) -> None:
    """A goal needs words; its skill type, when given, is one we know."""
    if not isinstance(user_query, str) or not user_query.strip():
        raise ValidationError({"user_query": [QUERY_REQUIRED]})
    if skill_type and skill_type not in SkillType.values:
        raise ValidationError({"skill_type": [BAD_SKILL_TYPE]})


def catalog_entry_for(user_query: str, catalog_entry: str = "") -> CatalogEntry | None:
    """The expert plan for a goal: the entry asked for by id, else the one the goal matches."""
    if catalog_entry:
        entry = get_entry(catalog_entry)
        if entry is None:
            message = UNKNOWN_CATALOG_ENTRY.format(entry=catalog_entry)
            raise ValidationError({"catalog_entry": [ValidationError(message, code="does_not_exist")]})
        return entry
    match = match_goal(user_query)
    return match.entry if match else None


def _from_catalog(entry: CatalogEntry) -> Generated:
    start = time.perf_counter()
    return Generated(
        data=entry.plan_copy(),
        skill_name=entry.title,
        skill_id=CATALOG_SKILL_ID,
        latency_ms=ms_since(start),
        origin=PlanOrigin.CATALOG,
        catalog_entry=entry.id,
        skill_type=entry.kind,
    )


def _from_engine(user_query: str, skill_type: str) -> Generated:
    kind = skill_type or kind_of(user_query)
    generated = get_generator().generate(user_query, kind)
    generated.skill_type = kind
    generated.closest = closest_entries(user_query)
    titles = ", ".join(match.entry.title for match in generated.closest)
    warning = NO_CATALOG_MATCH.format(titles=titles) if titles else NO_CATALOG_MATCH_NOR_DOMAIN
    generated.warnings = [*generated.warnings, warning]
    return generated


def plan_for_goal(user_query: str, skill_type: str, entry: CatalogEntry | None) -> Generated:
    """The catalog entry's plan when the goal has one, else the engine's (which may be slow)."""
    return _from_catalog(entry) if entry else _from_engine(user_query.strip(), skill_type)


def deconstruction_generate(*, user_query: str, skill_type: str = "", catalog_entry: str = "") -> Generated:
    """The plan for a goal: a copy of the matching expert plan from the catalog (its kind wins
    over the one given), else the configured engine's generic plan with the closest catalog
    entries offered. No database access: the services call it before their transaction
    opens, so a slow model never holds one open."""
    goal_validate(user_query, skill_type)
    return plan_for_goal(user_query, skill_type, catalog_entry_for(user_query, catalog_entry))


@transaction.atomic
def deconstruction_save(
    *, owner, user_query: str, skill_type: str = "", skill_name: str = "", data=None, generated: Generated | None = None
) -> SkillDeconstruction:
    """Posted `data` (the learner's own plan), or a `generated` plan together with its usage event."""
    goal_validate(user_query, skill_type)
    origin, catalog_entry = PlanOrigin.CUSTOM, ""
    if generated is not None:
        data, skill_name = generated.data, skill_name or generated.skill_name
        origin, catalog_entry = generated.origin, generated.catalog_entry
        skill_type = generated.skill_type or skill_type
    validate_plan(data)
    if origin == PlanOrigin.CUSTOM:
        refused = unlock_refusals(owner, data)
        if refused:
            raise ValidationError({path: [message] for path, message in refused.items()})
    deconstruction = SkillDeconstruction(
        owner=owner,
        user_query=user_query.strip(),
        skill_name=(skill_name or user_query).strip()[:255],
        skill_type=skill_type or kind_of(user_query),
        origin=origin,
        catalog_entry=catalog_entry,
        deconstruction_data=data,
    )
    deconstruction.full_clean()
    deconstruction.save()
    if generated is not None:
        _log_generation(owner, generated, deconstruction)
    return deconstruction


def deconstruction_create(
    *, owner, user_query: str, skill_type: str = "", skill_name: str = "", data: dict | None = None,
    catalog_entry: str = "",
) -> tuple[SkillDeconstruction, list[str]]:  # fmt: skip
    """From posted data, or from the catalog or the engine when `data` is None. Returns it and
    the warnings (no expert plan matched; an LLM plan replaced by the offline one)."""
    generated = None
    if data is None:
        generated = deconstruction_generate(user_query=user_query, skill_type=skill_type, catalog_entry=catalog_entry)
    deconstruction = deconstruction_save(
        owner=owner, user_query=user_query, skill_type=skill_type, skill_name=skill_name, data=data, generated=generated
    )
    return deconstruction, generated.warnings if generated else []
