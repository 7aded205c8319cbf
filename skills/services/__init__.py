"""Every write path of the skills app. The admin, the API and the commands call these."""

from .registry import (
    is_unlocked,
    next_patch_version,
    sha256_text,
    skill_unlock_grant,
    skill_unlock_revoke,
    skill_version_publish,
    skill_version_rollback,
)

__all__ = [
    "is_unlocked",
    "next_patch_version",
    "sha256_text",
    "skill_unlock_grant",
    "skill_unlock_revoke",
    "skill_version_publish",
    "skill_version_rollback",
]
