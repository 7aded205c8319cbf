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
from .rollups import DAILY, MEASURES, METRICS, ROLLUP_KEYS, VERSION, Kind, Measure, effectiveness_score, measures_of
from .telemetry import Feedback, Outcome, UsageEvent, UsageEventKey, UsageEventPending

__all__ = [
    "DAILY",
    "MEASURES",
    "METRICS",
    "ROLLUP_KEYS",
    "VERSION",
    "Kind",
    "Measure",
    "effectiveness_score",
    "measures_of",
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
