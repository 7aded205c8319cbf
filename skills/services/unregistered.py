"""Staff's answers to the list of unregistered skills: map a name to a registered skill, register
it, or dismiss it. Mapping and registering release the name's held events into the log, each
with its own id, user, time and payload hash (a later retry of one is still recognised)."""

from __future__ import annotations

import msgspec
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ..ingestion.events import EventIn, ParsedEvent
from ..ingestion.identity import AUTO_REGISTERED_DESCRIPTION, OwnedEvent
from ..ingestion.record import held_events_store
from ..models import HeldUsageEvent, Skill, UnregisteredSkill, UnregisteredStatus
from .registry import SKILL_ID_INVALID, skill_id_validate

NOT_A_SKILL_NAME = "{name} is a version or a plugin's skill: map it to a registered skill instead."
ALREADY_DECIDED = "{name} was already {status}."
MAP_TARGET_REQUIRED = "Choose the registered skill this name counts for."


@transaction.atomic
def unregistered_skill_map(*, unregistered: UnregisteredSkill, skill: Skill, by=None) -> int:
    """Counts the name for `skill` from now on and releases its held events; returns how many entered the log."""
    if skill is None:
        raise ValidationError({"mapped_to": MAP_TARGET_REQUIRED})
    if unregistered.version:
        raise ValidationError({"mapped_to": NOT_A_SKILL_NAME.format(name=unregistered)})
    _decide(unregistered, UnregisteredStatus.MAPPED, by, mapped_to=skill)
    return _release(unregistered)


@transaction.atomic
def unregistered_skill_register(*, unregistered: UnregisteredSkill, by=None) -> int:
    """Registers the name as a skill (disabled, as telemetry from operators does) and releases its
    held events; returns how many entered the log. A plugin's skill or a version is refused."""
    if unregistered.version or unregistered.plugin or ":" in unregistered.name:
        raise ValidationError({"name": NOT_A_SKILL_NAME.format(name=unregistered)})
    try:
        skill_id = skill_id_validate(unregistered.name)
    except ValidationError:
        raise ValidationError({"name": SKILL_ID_INVALID}) from None
    Skill.objects.get_or_create(
        skill_id=skill_id,
        defaults={"display_name": skill_id, "description": AUTO_REGISTERED_DESCRIPTION, "enabled": False},
    )
    _decide(unregistered, UnregisteredStatus.REGISTERED, by)
    return _release(unregistered)


@transaction.atomic
def unregistered_skill_dismiss(*, unregistered: UnregisteredSkill, by=None) -> None:
    """Takes the name off the review list; its held events stay held (a later mapping releases them)."""
    _decide(unregistered, UnregisteredStatus.DISMISSED, by)


def _decide(unregistered: UnregisteredSkill, status: str, by, mapped_to: Skill | None = None) -> None:
    locked = UnregisteredSkill.objects.select_for_update().get(pk=unregistered.pk)
    if locked.status in (UnregisteredStatus.MAPPED, UnregisteredStatus.REGISTERED):
        raise ValidationError(ALREADY_DECIDED.format(name=locked, status=locked.get_status_display().lower()))
    locked.status, locked.mapped_to = status, mapped_to
    locked.reviewed_by, locked.reviewed_at = by, timezone.now()
    locked.full_clean()
    locked.save()
    unregistered.refresh_from_db()


def _release(unregistered: UnregisteredSkill) -> int:
    held = list(HeldUsageEvent.objects.filter(unregistered=unregistered).select_for_update())
    events = [
        OwnedEvent(
            ParsedEvent(msgspec.convert(row.payload, EventIn, strict=False), row.occurred_at, row.payload_sha256),
            index,
            row.user_id,
            (row.user_key, row.event_id),
        )
        for index, row in enumerate(held)
    ]
    created = held_events_store(events) if events else 0
    HeldUsageEvent.objects.filter(pk__in=[row.pk for row in held]).delete()
    return created
