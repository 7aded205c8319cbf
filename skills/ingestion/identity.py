"""Which registered skill and version each event counts for — and the registry's guard.

Only operators write the registry. An event from a caller who may register
(`skills.register_skills` or `skills.ingest_for_any_user`; the server itself) that names a skill
or version the registry has not seen registers it (a skill disabled, a version not current), so
no operator telemetry is lost. From anyone else:
- an unknown skill is held, as posted (`HeldUsageEvent`), and counted on the staff list
  (`UnregisteredSkill`) until staff register or map the name; the registry is untouched;
- an unknown version of a registered skill counts for the skill, attributed to no version, with
  the version kept on the event (`reported_version`) and counted on the same list.
A plugin's skill (`plugin` given) is the identity `plugin:skill_id`: it counts for a registered
skill only where staff mapped it (the list, or the SKILL_NAME_MAP setting), and is held otherwise
whoever sent it — never merged into a registered skill of the same bare name.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

import msgspec
from django.conf import settings
from django.db import connections

from skillsite.lookups import one_of_sql

from ..models import HeldUsageEvent, Skill, SkillVersion, UnregisteredSkill
from .events import ParsedEvent
from .upsert import ADD, GREATEST, KEEP, LEAST, upsert

AUTO_REGISTERED_DESCRIPTION = "Auto-registered from telemetry: an event named this skill before it was registered."
AUTO_REGISTERED_VERSION = "Auto-registered from telemetry."
REGISTER_PERMISSIONS = ("skills.register_skills", "skills.ingest_for_any_user")
# What a use Claude Code did not name counts as (held for staff, never registered): without
# OTEL_LOG_TOOL_DETAILS=1 it names user and third-party plugin skills only `custom_skill`.
UNNAMED_SKILL_ID = "unnamed-skill"


class OwnedEvent(NamedTuple):
    event: ParsedEvent
    index: int  # in the batch, for error messages
    user_id: int | None
    key: tuple[int, object]  # the event's key in the id registry: (user_key, event_id)


@dataclass(frozen=True)
class Counted:
    """Where a stored event counts: its skill and version, and what the agent reported instead."""

    skill_id: str
    version_id: int | None
    reported_skill: str = ""
    reported_version: str = ""


class Registers:
    """Whether a caller's telemetry may register, asked at most once and only when needed."""

    def __init__(self, user, given: bool | None = None) -> None:
        self.user, self.given = user, given

    def __bool__(self) -> bool:
        if self.given is None:
            self.given = may_register(self.user)
        return self.given


def may_register(user) -> bool:
    """Whether telemetry from `user` may register skills and versions (None: the server itself)."""
    return user is None or any(user.has_perm(permission) for permission in REGISTER_PERMISSIONS)


def reported_identity(skill_id: str, plugin: str) -> str:
    return f"{plugin}:{skill_id}" if plugin else skill_id


def name_map(names: set[str]) -> dict[str, str]:
    """Reported name → registered skill id, for `names`: the SKILL_NAME_MAP setting, then staff's mappings."""
    mapped = dict(UnregisteredSkill.objects.mapped().filter(name__in=names).values_list("name", "mapped_to_id"))
    return {**mapped, **{name: skill for name, skill in settings.SKILL_NAME_MAP.items() if name in names}}


def resolve(
    events: list[OwnedEvent], *, registers: Registers, now: datetime, using: str
) -> tuple[list[Counted | None], int]:
    """Where each event counts (None: held for staff), registering what `registers` allows; and how
    many events were held now (a held event's retry is not held twice)."""
    identities = [reported_identity(o.event.data.skill_id, o.event.data.plugin) for o in events]
    bare = sorted({o.event.data.skill_id for o in events if not o.event.data.plugin})
    current = dict(_current_versions(bare, using))
    # A registered bare name counts for itself; only the others are looked up among the mappings.
    unresolved = set(identities) - current.keys()
    mapping = name_map(unresolved) if unresolved else {}
    targets_missing = sorted(set(mapping.values()) - current.keys())
    if targets_missing:
        current.update(_current_versions(targets_missing, using))
    unknown = sorted(
        name for name in unresolved if ":" not in name and name not in mapping and name != UNNAMED_SKILL_ID
    )
    if unknown and registers:
        _register(unknown, using)
        current.update(_current_versions(unknown, using))
    targets = [_target(o, identity, mapping, current) for o, identity in zip(events, identities, strict=True)]
    versions = _named_versions(events, targets, registers=registers, using=using)
    counted = [
        None if target is None else _counted(o, identity, target, current, versions)
        for o, identity, target in zip(events, identities, targets, strict=True)
    ]
    return counted, _keep_apart(events, identities, counted, now=now, using=using)


def _target(owned: OwnedEvent, identity: str, mapping: dict[str, str], current: dict) -> str | None:
    if identity in current:
        return identity
    target = mapping.get(identity)
    return target if target in current else None


def _counted(owned: OwnedEvent, identity: str, target: str, current: dict, versions: dict) -> Counted:
    reported_skill = identity if identity != target else ""
    version = owned.event.data.skill_version
    if version is None:
        return Counted(target, current[target], reported_skill)
    version_id = versions.get((target, version))
    return Counted(target, version_id, reported_skill, "" if version_id else version)


def _register(skill_ids: list[str], using: str) -> None:
    registered = [
        Skill(skill_id=skill_id, display_name=skill_id, description=AUTO_REGISTERED_DESCRIPTION, enabled=False)
        for skill_id in skill_ids
    ]
    Skill.objects.using(using).bulk_create(registered, ignore_conflicts=True)


def _current_versions(skill_ids: list[str], using: str) -> list[tuple[str, int | None]]:
    """(skill_id, id of its current version or None) of the registered skills among `skill_ids`.
    Every request asks it: written as SQL, it costs a third of the ORM's subquery, compiled each time."""
    if not skill_ids:
        return []
    connection = connections[using]
    skills, params = one_of_sql("s.skill_id", Skill._meta.pk, skill_ids, connection)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT s.skill_id, v.id FROM {Skill._meta.db_table} s LEFT JOIN {SkillVersion._meta.db_table} v "
            f"ON v.skill_id = s.skill_id AND v.is_current WHERE {skills}",  # one current version a skill (a constraint)
            params,
        )
        return cursor.fetchall()


def _named_versions(events: list[OwnedEvent], targets: list, *, registers: Registers, using: str) -> dict:
    named = {
        (target, o.event.data.skill_version)
        for o, target in zip(events, targets, strict=True)
        if target is not None and o.event.data.skill_version
    }
    if not named:
        return {}

    def found() -> dict[tuple[str, str], int]:
        rows = SkillVersion.objects.using(using).filter(
            skill_id__in={s for s, _ in named}, version__in={v for _, v in named}
        )
        return {(s, v): pk for s, v, pk in rows.values_list("skill_id", "version", "id") if (s, v) in named}

    ids = found()
    missing = named - ids.keys()
    if missing and registers:
        # An operator's version the registry has not seen is recorded (not current), so the event keeps its attribution.
        SkillVersion.objects.using(using).bulk_create(
            [SkillVersion(skill_id=s, version=v, changelog=AUTO_REGISTERED_VERSION) for s, v in sorted(missing)],
            ignore_conflicts=True,
        )
        ids = found()
    return ids


def _keep_apart(events: list[OwnedEvent], identities: list[str], counted: list, *, now, using: str) -> int:
    """Holds the events of unknown skills and counts them, and the unknown versions, on the list;
    returns how many events it held."""
    held = [(o, identity) for o, identity, where in zip(events, identities, counted, strict=True) if where is None]
    new = _not_held_before([o for o, _ in held], using)
    tallies: dict[tuple[str, str], list] = {}
    for owned, identity in held:
        if owned.key in new:
            _tally(tallies, (identity, ""), owned, now)
    for owned, where in zip(events, counted, strict=True):
        if where is not None and where.reported_version:
            _tally(tallies, (where.skill_id, where.reported_version), owned, now)
    if not tallies:
        return 0
    rows = [
        (name, version, plugin, marketplace, "pending", uses, first, last)
        for (name, version), (plugin, marketplace, uses, first, last) in sorted(tallies.items())
    ]
    combine = {
        "plugin": KEEP,
        "marketplace": KEEP,
        "status": KEEP,
        "uses": ADD,
        "first_seen": LEAST,
        "last_seen": GREATEST,
    }
    upsert(UnregisteredSkill, keys=["name", "version"], combine=combine, rows=rows, using=using)
    if new:
        reports = dict(
            UnregisteredSkill.objects.using(using)
            .filter(name__in={identity for _, identity in held}, version="")
            .values_list("name", "id")
        )
        HeldUsageEvent.objects.using(using).bulk_create(
            [_held(owned, reports[identity], now) for owned, identity in held if owned.key in new],
            ignore_conflicts=True,  # a concurrent post of the same event: the unique key keeps one
        )
    return len(new)


def _tally(tallies: dict, key: tuple[str, str], owned: OwnedEvent, now) -> None:
    data = owned.event.data
    plugin, marketplace, uses, first, last = tallies.get(key, (data.plugin, data.marketplace, 0, now, now))
    tallies[key] = (plugin, marketplace, uses + 1, first, last)


def _not_held_before(held: list[OwnedEvent], using: str) -> set:
    """The keys of `held` not held already (a retry of a held event counts once)."""
    if not held:
        return set()
    stored = set(
        HeldUsageEvent.objects.using(using)
        .filter(event_id__in={o.key[1] for o in held})
        .values_list("user_key", "event_id")
    )
    return {o.key for o in held if o.key not in stored}


def _held(owned: OwnedEvent, unregistered_id: int, now) -> HeldUsageEvent:
    return HeldUsageEvent(
        unregistered_id=unregistered_id,
        user_id=owned.user_id,
        user_key=owned.key[0],
        event_id=owned.key[1],
        payload=msgspec.to_builtins(owned.event.data),
        payload_sha256=owned.event.payload_sha256,
        occurred_at=owned.event.occurred_at,
        received_at=now,
    )
