from .agents import AgentApiRequest, SkillVersionFile
from .emergence import (
    CANDIDATE_TRANSITIONS,
    CandidateReview,
    CandidateStatus,
    EmergenceCandidate,
    MiningRun,
    MiningSession,
)
from .metrics import SessionSkill, SkillDailyUsage, SkillMetrics, SkillUserUsage
from .registry import Skill, SkillUnlock, SkillVersion, Tier, semver_key, validate_semver
from .telemetry import Feedback, Outcome, UsageEvent, UsageEventKey, UsageEventPending

__all__ = [
    "AgentApiRequest",
    "SkillVersionFile",
    "CANDIDATE_TRANSITIONS",
    "CandidateReview",
    "CandidateStatus",
    "EmergenceCandidate",
    "Feedback",
    "MiningRun",
    "MiningSession",
    "Outcome",
    "SessionSkill",
    "Skill",
    "SkillDailyUsage",
    "SkillMetrics",
    "SkillUnlock",
    "SkillUserUsage",
    "SkillVersion",
    "Tier",
    "UsageEvent",
    "UsageEventKey",
    "UsageEventPending",
    "semver_key",
    "validate_semver",
]
