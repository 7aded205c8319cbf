"""The skills app's demo data for a fresh site: a dozen skills with versions, a few users,
unlocks, ninety days of usage telemetry up to now (so every dashboard range and tile has something
to show, and versions differ in success rate), and emergence candidates mined from it in every
review status (with the reviewer's notes). `roadmaps.demo` adds a roadmap and runs the command.

Idempotent: running it again leaves the same data (existing rows are kept).
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from skills.ingestion.record import usage_events_record
from skills.models import EmergenceCandidate, Skill, SkillUnlock, Tier, UsageEvent
from skills.services.emergence import candidate_approve, candidate_deploy, candidate_reject, emergence_mine
from skills.services.registry import skill_unlock_grant, skill_version_publish

DEMO_ADMIN_USERNAME = "admin"
DEMO_ADMIN_PASSWORD = "skillsite-demo-admin"
DEMO_LEARNER_PASSWORD = "skillsite-demo-learner"
DEMO_LEARNERS = ["ada", "grace", "linus"]
# Granted ahead of its registration: the admin lists it as pending until a sync registers the skill.
DEMO_PENDING_UNLOCK = ("k8s-deploy", "demo: granted before the skill is synced")

# (skill_id, display name, tier, category, trust level, versions, triggers)
DEMO_SKILLS = [
    ("pdf-extract", "PDF Extract", Tier.FOUNDATIONAL, "documents", 5, ["1.0.0", "1.1.0", "1.2.0"], "pdf,extract"),
    ("doc-summarize", "Document Summarizer", Tier.FOUNDATIONAL, "documents", 5, ["1.0.0", "1.0.1"], "summarize"),
    ("code-review", "Code Review", Tier.STANDARD, "engineering", 4, ["1.0.0", "2.0.0"], "review,diff"),
    ("test-writer", "Test Writer", Tier.STANDARD, "engineering", 4, ["0.9.0", "1.0.0"], "pytest,tests"),
    ("sql-optimize", "SQL Optimizer", Tier.ADVANCED, "data", 3, ["1.0.0"], "sql,explain"),
    ("data-clean", "Data Cleaner", Tier.STANDARD, "data", 4, ["1.0.0", "1.1.0"], "csv,clean"),
    ("git-commit", "Commit Message Writer", Tier.FOUNDATIONAL, "engineering", 5, ["1.0.0"], "commit"),
    ("api-design", "API Designer", Tier.ADVANCED, "engineering", 3, ["0.1.0", "0.2.0"], "openapi,rest"),
    ("security-audit", "Security Audit", Tier.EXPERT, "security", 2, ["1.0.0"], "owasp,audit"),
    ("diagram-draw", "Diagram Drawer", Tier.STANDARD, "design", 3, ["1.0.0"], "mermaid,diagram"),
    ("translate-text", "Translator", Tier.STANDARD, "language", 4, ["1.0.0", "1.0.1", "1.1.0"], "translate"),
    ("incident-triage", "Incident Triage", Tier.EXPERT, "operations", 2, ["0.5.0"], "pager,incident"),
]


@dataclass
class DemoResult:
    admin_username: str
    admin_password: str
    skills_created: int
    learners: list


CHANGELOGS = [
    "First release.",
    "Handles longer inputs; clearer error messages.",
    "Follows the new output format; fewer tokens per call.",
]


def _skill_md(skill_id: str, name: str, category: str, version: str, step: int) -> str:
    notes = "".join(f"- {CHANGELOGS[n]}\n" for n in range(step + 1))
    return (
        f"---\nname: {skill_id}\ndescription: {name} for {category} work.\n"
        f'metadata:\n  version: "{version}"\n  category: {category}\n---\n\n# {name}\n\n'
        f"Instructions for {name}, version {version}.\n\n## Changes\n{notes}"
    )


def _ensure_user(username: str, password: str, *, staff: bool = False):
    user, _ = get_user_model().objects.get_or_create(username=username, defaults={"email": f"{username}@example.com"})
    if staff and not (user.is_staff and user.is_superuser):
        user.is_staff = user.is_superuser = True
    # Reset the demo password every run so the printed login always works.
    user.set_password(password)
    user.save()
    return user


def _ensure_skill(spec: tuple, admin) -> bool:
    skill_id, name, tier, category, trust, versions, triggers = spec
    skill, created = Skill.objects.get_or_create(
        skill_id=skill_id,
        defaults={
            "display_name": name,
            "description": f"{name} for {category} work.",
            "tier": tier,
            "category": category,
            "trust_level": trust,
            "meta": {"triggers": triggers.split(","), "elements": [category], "realms": ["demo"]},
        },
    )
    existing = set(skill.versions.values_list("version", flat=True))
    for step, version in enumerate(versions):
        if version not in existing:
            content = _skill_md(skill_id, name, category, version, step)
            skill_version_publish(
                skill=skill, version=version, content=content, changelog=CHANGELOGS[step], created_by=admin
            )
    return created


DEMO_NAMESPACE = uuid.UUID("0d3c1f7e-2b8a-4c55-9a61-7f0e4b2d9c11")
DEMO_DAYS = 90
SESSIONS_PER_DAY = 12
# Skill sets that recur in sessions, with their share of sessions and their context's element: mining
# turns the frequent ones into candidates in review and the rare ones into candidates it keeps monitoring.
PATTERNS = [
    (("pdf-extract", "doc-summarize"), 0.18, "documents"),
    (("code-review", "test-writer", "git-commit"), 0.12, "engineering"),
    (("sql-optimize", "data-clean"), 0.08, "data"),
    (("translate-text", "doc-summarize"), 0.06, "language"),
    (("api-design", "code-review"), 0.05, "engineering"),
    (("security-audit", "code-review"), 0.012, "security"),
    (("diagram-draw", "api-design"), 0.01, "design"),
]
SINGLES = ["pdf-extract", "code-review", "git-commit", "data-clean", "translate-text", "incident-triage"]
# Chance of success of each version, oldest first: some releases helped, one (translate-text 1.1.0) did not.
SUCCESS = {
    "pdf-extract": [0.78, 0.88, 0.95], "doc-summarize": [0.86, 0.93], "code-review": [0.8, 0.94],
    "test-writer": [0.7, 0.9], "translate-text": [0.9, 0.95, 0.82], "data-clean": [0.85, 0.92],
    "api-design": [0.75, 0.88],
}  # fmt: skip
ERRORS = ["Timeout", "RateLimit", "ParseError"]


@dataclass
class DemoSession:
    number: int
    learner: object
    element: str
    at: datetime
    progress: float  # 0 at the start of the period, 1 now


def _demo_events(learners, versions: dict[str, list[str]]) -> list[dict]:
    """DEMO_DAYS days of sessions up to now, with deterministic ids (a re-run stores nothing twice)."""
    rng = random.Random(7)
    end = timezone.now().replace(second=0, microsecond=0)
    minutes = DEMO_DAYS * 24 * 60
    events = []
    for number in range(DEMO_DAYS * SESSIONS_PER_DAY):
        offset = rng.uniform(0, minutes - 30)
        skills, element = _session_skills(rng)
        at = end - timedelta(minutes=minutes - offset)
        session = DemoSession(number, learners[number % len(learners)], element, at, offset / minutes)
        events += [
            _demo_event(rng, session, step, skill_id, versions[skill_id]) for step, skill_id in enumerate(skills)
        ]
    return events


def _session_skills(rng: random.Random) -> tuple[list[str], str]:
    pick = rng.random()
    for skills, share, element in PATTERNS:
        if pick < share:
            return list(skills), element
        pick -= share
    return [rng.choice(SINGLES)], "general"


def _demo_event(rng: random.Random, session: DemoSession, step: int, skill_id: str, versions: list[str]) -> dict:
    # Versions follow each other over the period: the newest is the one in use now.
    release = min(int(session.progress * len(versions)), len(versions) - 1)
    chance = SUCCESS.get(skill_id, [0.88] * len(versions))[release]
    outcome = "success" if rng.random() < chance else rng.choice(["failure", "error", "error", "abandoned"])
    return {
        "event_id": str(uuid.uuid5(DEMO_NAMESPACE, f"session-{session.number}-{step}")),
        "skill_id": skill_id,
        "skill_version": versions[release],
        "outcome": outcome,
        "user": session.learner.pk,
        "session_id": f"demo-{session.number:04d}",
        "latency_ms": int(rng.lognormvariate(5.5 + len(skill_id) % 4 * 0.3, 0.7)),
        "error_type": rng.choice(ERRORS) if outcome == "error" else "",
        "workflow_path": rng.choice(["plan/execute", "plan/review/execute", "quick", "search/read/answer"]),
        "tokens_used": rng.randrange(200, 4000),
        "tokens_saved": rng.randrange(0, 900),
        "cost_usd": f"{rng.randrange(5, 900) / 100000:.5f}",
        "state_snapshot": {"tier": "standard", "element": session.element, "realm": "demo"},
        "occurred_at": (session.at + timedelta(minutes=2 * step)).isoformat(),
    }


def _record_demo_events(learners, admin) -> None:
    events = _demo_events(learners, {spec[0]: spec[5] for spec in DEMO_SKILLS})
    if UsageEvent.objects.filter(event_id=events[0]["event_id"]).exists():
        return  # recorded by an earlier run (its times are that run's)
    for start in range(0, len(events), 1000):
        usage_events_record(events=events[start : start + 1000], user=admin)


# What the demo's reviewer decided, by skill set (sorted, as mining stores it).
DEMO_REVIEWS = {
    ("doc-summarize", "pdf-extract"): [
        (candidate_approve, "Extract-then-summarise is the most common pair and both succeed together."),
        (candidate_deploy, "Deployed at trust level 1; watch its success rate for two weeks."),
    ],
    ("code-review", "git-commit", "test-writer"): [
        (candidate_approve, "A real review workflow: tests, review, then the commit message."),
    ],
    ("data-clean", "sql-optimize"): [
        (candidate_reject, "Both are data chores that meet by chance; no shared workflow to package."),
    ],
}


def _demo_reviews(admin) -> None:
    """Mines the demo's sessions, then reviews a few candidates so every status has an example."""
    emergence_mine()
    for candidate in EmergenceCandidate.objects.filter(status__in=["monitoring", "review"]):
        for review, note in DEMO_REVIEWS.get(tuple(candidate.skills), []) if not candidate.reviews.exists() else []:
            candidate = review(candidate=candidate, reviewer=admin, note=note)


@transaction.atomic
def skills_demo_seed() -> DemoResult:
    admin = _ensure_user(DEMO_ADMIN_USERNAME, DEMO_ADMIN_PASSWORD, staff=True)
    learners = [_ensure_user(name, DEMO_LEARNER_PASSWORD) for name in DEMO_LEARNERS]
    created = sum(_ensure_skill(spec, admin) for spec in DEMO_SKILLS)
    advanced = Skill.objects.filter(tier__in=[Tier.ADVANCED, Tier.EXPERT]).order_by("skill_id")
    for learner, skill in zip(learners, advanced, strict=False):
        if not skill.unlocks.filter(user=learner).exists():
            skill_unlock_grant(
                user=learner, skill_id=skill.skill_id, reason="demo: completed onboarding", granted_by=admin
            )
    pending_id, pending_reason = DEMO_PENDING_UNLOCK
    if not SkillUnlock.objects.filter(user=learners[1], skill_id=pending_id).exists():
        skill_unlock_grant(user=learners[1], skill_id=pending_id, reason=pending_reason, granted_by=admin)
    _record_demo_events(learners, admin)
    _demo_reviews(admin)
    return DemoResult(
        admin_username=admin.username, admin_password=DEMO_ADMIN_PASSWORD, skills_created=created, learners=learners
    )
