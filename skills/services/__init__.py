"""Every write path of the skills app. The admin, the API and the commands call these."""

from .emergence import MiningReport, candidate_approve, candidate_deploy, candidate_reject, emergence_mine
from .metrics import feedback_record
from .rebuild import RebuildReport, metrics_rebuild
from .registry import (
    Access,
    bundle_digest,
    is_skill_unlocked,
    next_patch_version,
    sha256_text,
    skill_unlock_grant,
    skill_unlock_revoke,
    skill_version_publish,
    skill_version_rollback,
)
from .sync import SyncReport, skills_sync_from_folder

__all__ = [
    "MiningReport",
    "candidate_approve",
    "candidate_deploy",
    "candidate_reject",
    "emergence_mine",
    "RebuildReport",
    "SyncReport",
    "feedback_record",
    "metrics_rebuild",
    "Access",
    "bundle_digest",
    "is_skill_unlocked",
    "next_patch_version",
    "sha256_text",
    "skill_unlock_grant",
    "skill_unlock_revoke",
    "skill_version_publish",
    "skill_version_rollback",
    "skills_sync_from_folder",
]
