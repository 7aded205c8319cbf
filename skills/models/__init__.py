from .agents import AgentApiRequest, SkillVersionFile
from .emergence import (
    CANDIDATE_TRANSITIONS,
    CandidateReview,
    CandidateStatus,
    EmergenceCandidate,
    MiningRun,
    MiningSession,
)
from .experiments import (
    EXPERIMENT_TRANSITIONS,
    SHARE_TOTAL,
    Experiment,
    ExperimentArm,
    ExperimentGuardrail,
    ExperimentSnapshot,
    ExperimentStatus,
    Metric,
)
from .jobs import RUN_TRANSITIONS, Job, JobRun, RunStatus, Trigger
from .metrics import SessionSkill, SkillDailyUsage, SkillMetrics, SkillUserUsage, SkillVersionUsage
from .registry import SEMVER_RE, Skill, SkillUnlock, SkillVersion, Tier, semver_key, validate_semver
from .regressions import VersionRegression
from .rollups import DAILY, MEASURES, METRICS, ROLLUP_KEYS, VERSION, Kind, Measure, effectiveness_score, measures_of
from .scan import Severity, VersionFinding
from .telemetry import FEEDBACK_NOTES_MAX_LENGTH, Feedback, Outcome, UsageEvent, UsageEventKey, UsageEventPending
from .unregistered import HeldUsageEvent, UnregisteredSkill, UnregisteredStatus
from .uses import Signal, SkillUse

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
    "EXPERIMENT_TRANSITIONS",
    "Experiment",
    "ExperimentArm",
    "ExperimentGuardrail",
    "ExperimentSnapshot",
    "ExperimentStatus",
    "FEEDBACK_NOTES_MAX_LENGTH",
    "Feedback",
    "Metric",
    "HeldUsageEvent",
    "Job",
    "JobRun",
    "RUN_TRANSITIONS",
    "SEMVER_RE",
    "SHARE_TOTAL",
    "RunStatus",
    "Trigger",
    "VersionRegression",
    "VersionFinding",
    "Severity",
    "SkillVersionUsage",
    "MiningRun",
    "MiningSession",
    "Outcome",
    "SessionSkill",
    "Skill",
    "SkillDailyUsage",
    "SkillMetrics",
    "SkillUnlock",
    "SkillUse",
    "Signal",
    "SkillUserUsage",
    "SkillVersion",
    "Tier",
    "UsageEvent",
    "UsageEventKey",
    "UsageEventPending",
    "UnregisteredSkill",
    "UnregisteredStatus",
    "semver_key",
    "validate_semver",
]
