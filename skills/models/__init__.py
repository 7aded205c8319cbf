from .agents import AgentApiRequest, SkillVersionFile
from .emergence import (
    CANDIDATE_TRANSITIONS,
    CandidateReview,
    CandidateStatus,
    EmergenceCandidate,
    MiningRun,
    MiningSession,
)
from .jobs import RUN_TRANSITIONS, Job, JobRun, RunStatus, Trigger
from .metrics import SessionSkill, SkillDailyUsage, SkillMetrics, SkillUserUsage, SkillVersionUsage
from .registry import SEMVER_RE, Skill, SkillUnlock, SkillVersion, Tier, semver_key, validate_semver
from .regressions import VersionRegression
from .telemetry import Feedback, Outcome, UsageEvent, UsageEventKey, UsageEventPending

__all__ = [
    "AgentApiRequest",
    "SkillVersionFile",
    "CANDIDATE_TRANSITIONS",
    "CandidateReview",
    "CandidateStatus",
    "EmergenceCandidate",
    "Feedback",
    "Job",
    "JobRun",
    "RUN_TRANSITIONS",
    "SEMVER_RE",
    "RunStatus",
    "Trigger",
    "VersionRegression",
    "SkillVersionUsage",
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
