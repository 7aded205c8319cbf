"""Write paths of the registry: versions and unlocks. Each call is one transaction."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_slug
from django.db import transaction
from django.utils import timezone

from ..models import (
    Severity,
    Skill,
    SkillUnlock,
    SkillVersion,
    SkillVersionFile,
    Tier,
    VersionFinding,
    semver_key,
    validate_semver,
)
from .bundles import BundleFile, bundle_digest, bundle_files
from .regressions import REPLACED, ROLLED_BACK, regressions_clear
from .scan import Finding, scan_version

VERSION_EXISTS = "Version %(version)s of %(skill)s already exists."
FILE_CHANGED = "{path} changed while it was being published; publish again"
HELD_BACK = (
    "{version} has {count} high finding(s) from the scan before deploy; staff must acknowledge them before it "
    "becomes current"
)
ACKNOWLEDGE_STAFF_ONLY = "Only staff may acknowledge a version's findings."
ACKNOWLEDGE_NEEDS_REASON = "Say why the findings are acceptable."
NOTHING_TO_ACKNOWLEDGE = "{version} has no high finding to acknowledge."
FINDING_FIELDS = ("path", "line", "rule", "tool", "severity", "message", "excerpt")
VERSION_UNKNOWN = "%(skill)s has no version %(version)s."
ACCESS_FOUNDATIONAL = "foundational: unlocked for everyone"
ACCESS_UNLOCKED = "unlocked at {at} by {by}"
ACCESS_LOCKED = "locked: {skill} is not unlocked for you"
ACCESS_REVOKED = "locked: your unlock of {skill} was revoked"
ACCESS_DISABLED = "disabled: {skill} is switched off on this site"
SKILL_ID_MAX_LENGTH = 100
SKILL_ID_INVALID = "must be a skill id: letters, digits, - and _, at most 100 characters"


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def next_patch_version(skill: Skill) -> str:
    """The highest existing version with its patch number raised by one (1.0.0 for a new skill)."""
    versions = list(skill.versions.values_list("version", flat=True))
    if not versions:
        return "1.0.0"
    major, minor, patch = semver_key(max(versions, key=semver_key))[:3]
    return f"{max(major, 0)}.{max(minor, 0)}.{max(patch, 0) + 1}"


@transaction.atomic
def skill_version_publish(
    *,
    skill: Skill,
    content: str,
    version: str | None = None,
    changelog: str = "",
    created_by=None,
    files: Iterable[BundleFile] | Mapping[str, bytes] | None = None,
    make_current: bool = True,
) -> SkillVersion:
    """Adds a version, scans it, and makes it the skill's only current one unless the scan found
    something high: then it is kept but held back (`held`) until staff acknowledge the findings
    (`skill_version_acknowledge`). `files` are the folder's other files (or, for plain files,
    relative path → bytes), kept with their modes and served in its bundle; they are read one at a
    time, so a large folder is never in memory whole. With `make_current=False` the version is
    stored but not served (a treatment of an experiment)."""
    # Lock the skill row so two publishers cannot both pick the same next version.
    skill = Skill.objects.select_for_update().get(pk=skill.pk)
    files = bundle_files(files)
    version = version or next_patch_version(skill)
    try:
        validate_semver(version)
    except ValidationError as error:
        raise ValidationError({"version": error.messages}) from error
    if skill.versions.filter(version=version).exists():
        raise ValidationError({"version": VERSION_EXISTS % {"version": version, "skill": skill.skill_id}})
    new_version = SkillVersion(
        skill=skill,
        version=version,
        content=content,
        sha256=sha256_text(content),
        bundle_sha256=bundle_digest(content, files),
        changelog=changelog,
        created_by=created_by,
    )
    new_version.full_clean()
    new_version.save()
    for file in files:
        data = file.read()
        if hashlib.sha256(data).hexdigest() != file.sha256:
            raise ValidationError({"files": FILE_CHANGED.format(path=file.path)})
        SkillVersionFile.objects.create(
            version=new_version,
            path=file.path,
            content=data,
            size=file.size,
            sha256=file.sha256,
            executable=file.executable,
        )
    findings_store(version=new_version, findings=scan_version(content=content, files=files))
    if make_current and not new_version.held:
        _make_current(skill, new_version)
        regressions_clear(skill=skill, reason=REPLACED)
    return new_version


def _make_current(skill: Skill, version: SkillVersion) -> None:
    skill.versions.filter(is_current=True).update(is_current=False)
    version.is_current, version.current_since = True, timezone.now()
    version.save(update_fields=["is_current", "current_since"])


def findings_store(*, version: SkillVersion, findings: list[Finding]) -> None:
    """The scan's findings of a new version, and its count of high ones (what holds it back)."""
    VersionFinding.objects.bulk_create(
        VersionFinding(version=version, **{field: getattr(finding, field) for field in FINDING_FIELDS})
        for finding in findings
    )
    version.high_findings = sum(finding.severity == Severity.HIGH for finding in findings)
    version.save(update_fields=["high_findings"])


@transaction.atomic
def skill_version_acknowledge(
    *, version: SkillVersion, acknowledged_by, reason: str, make_current: bool = True
) -> SkillVersion:
    """Staff accept a version's high findings (who, when, why are kept), so it may become current;
    with `make_current` it does at once."""
    version = SkillVersion.objects.select_for_update().select_related("skill").get(pk=version.pk)
    if not getattr(acknowledged_by, "is_staff", False):
        raise PermissionDenied(ACKNOWLEDGE_STAFF_ONLY)
    if not reason.strip():
        raise ValidationError({"reason": ACKNOWLEDGE_NEEDS_REASON})
    if not version.high_findings:
        raise ValidationError({"version": NOTHING_TO_ACKNOWLEDGE.format(version=version)})
    if version.acknowledged_at is None:
        version.acknowledged_by, version.acknowledged_at = acknowledged_by, timezone.now()
        version.acknowledge_reason = reason.strip()
        version.save(update_fields=["acknowledged_by", "acknowledged_at", "acknowledge_reason"])
    if make_current and not version.is_current:
        skill = Skill.objects.select_for_update().get(pk=version.skill_id)
        _make_current(skill, version)
        regressions_clear(skill=skill, reason=REPLACED)
    return version


@transaction.atomic
def skill_version_rollback(*, skill: Skill, version: str) -> SkillVersion:
    """Makes an earlier version current again; the versions themselves are kept."""
    skill = Skill.objects.select_for_update().get(pk=skill.pk)
    target = skill.versions.filter(version=version).first()
    if target is None:
        raise ValidationError({"version": VERSION_UNKNOWN % {"version": version, "skill": skill.skill_id}})
    if target.held:
        raise ValidationError({"version": HELD_BACK.format(version=target, count=target.high_findings)})
    if not target.is_current:
        _make_current(skill, target)
        regressions_clear(skill=skill, reason=ROLLED_BACK.format(version=target.version))
    return target


def skill_id_validate(skill_id) -> str:
    """A skill id as the registry spells them (a slug of at most 100 characters), registered or not;
    ValidationError naming `skill_id` otherwise."""
    if not isinstance(skill_id, str) or len(skill_id) > SKILL_ID_MAX_LENGTH:
        raise ValidationError({"skill_id": [SKILL_ID_INVALID]})
    try:
        validate_slug(skill_id)
    except ValidationError as error:
        raise ValidationError({"skill_id": [SKILL_ID_INVALID]}) from error
    return skill_id


@transaction.atomic
def skill_unlock_grant(*, user, skill_id: str, reason: str = "", granted_by=None) -> SkillUnlock:
    """Upsert: unlocks the skill for the user, recording reason, who and when (`granted_by` None:
    the system). The skill need not be registered yet: the unlock is then pending and takes effect
    when a skill with this id is registered (see SkillUnlock)."""
    skill_id = skill_id_validate(skill_id)
    unlock, _created = SkillUnlock.objects.select_for_update().get_or_create(user=user, skill_id=skill_id)
    unlock.unlocked = True
    unlock.unlocked_at = timezone.now()
    unlock.unlock_reason = reason
    unlock.granted_by = granted_by
    # The skill may not exist yet: its id was checked above, not its row.
    unlock.full_clean(exclude=["skill"])
    unlock.save()
    return unlock


@transaction.atomic
def skill_unlock_revoke(*, user, skill_id: str, reason: str = "", revoked_by=None) -> SkillUnlock | None:
    """Locks the skill again (pending unlocks too); the row is kept (unlocked=False) as the audit trail."""
    unlock = SkillUnlock.objects.select_for_update().filter(user=user, skill_id=skill_id).first()
    if unlock is None:
        return None
    unlock.unlocked = False
    if reason:
        unlock.unlock_reason = reason
    unlock.granted_by = revoked_by or unlock.granted_by
    unlock.save()
    return unlock


@dataclass(frozen=True)
class Access:
    """Whether a user may load a skill, and why; true in a boolean context when unlocked."""

    unlocked: bool
    reason: str

    def __bool__(self) -> bool:
        return self.unlocked


def may_read_content(user, skill: Skill) -> bool:
    """Whether the user may read the skill's SKILL.md and files wherever they appear (detail,
    versions, content, bundle): staff always; anyone else only when they may load it."""
    return bool(user is not None and user.is_staff) or is_skill_unlocked(user, skill).unlocked


def is_skill_unlocked(user, skill: Skill) -> Access:
    """The one unlock rule: a disabled skill is loadable by nobody; a foundational one by everyone;
    any other needs the user's active unlock. `Skill.objects.available_to(user)` is the same rule
    as a query (a test holds them together)."""
    if not skill.enabled:
        return Access(False, ACCESS_DISABLED.format(skill=skill.skill_id))
    if skill.tier == Tier.FOUNDATIONAL:
        return Access(True, ACCESS_FOUNDATIONAL)
    if user is None or not user.is_authenticated:
        return Access(False, ACCESS_LOCKED.format(skill=skill.skill_id))
    unlock = SkillUnlock.objects.filter(user=user, skill=skill).select_related("granted_by").first()
    if unlock is None:
        return Access(False, ACCESS_LOCKED.format(skill=skill.skill_id))
    if not unlock.unlocked:
        return Access(False, ACCESS_REVOKED.format(skill=skill.skill_id))
    by = unlock.granted_by.get_username() if unlock.granted_by else "the system"
    at = unlock.unlocked_at.isoformat() if unlock.unlocked_at else "an unknown time"
    reason = ACCESS_UNLOCKED.format(at=at, by=by)
    return Access(True, f"{reason}: {unlock.unlock_reason}" if unlock.unlock_reason else reason)
