"""Demo data for a fresh site: a dozen skills with versions, a few users, unlocks,
three weeks of usage telemetry (so the analytics and the dashboard have something to show)
and a roadmap for the first learner.

Idempotent: running it again leaves the same data (existing rows are kept).
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from skills.ingestion import usage_events_record
from skills.models import Skill, Tier
from skills.services import skill_unlock_grant, skill_version_publish

DEMO_ADMIN_USERNAME = "admin"
DEMO_ADMIN_PASSWORD = "skillsite-demo-admin"
DEMO_LEARNER_PASSWORD = "skillsite-demo-learner"
DEMO_LEARNERS = ["ada", "grace", "linus"]

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


def _skill_md(skill_id: str, name: str, category: str, version: str) -> str:
    return (
        f"---\nname: {skill_id}\ndescription: {name} for {category} work.\n"
        f'metadata:\n  version: "{version}"\n  category: {category}\n---\n\n# {name}\n\n'
        f"Instructions for {name}, version {version}.\n"
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
    for version in versions:
        if version not in existing:
            content = _skill_md(skill_id, name, category, version)
            skill_version_publish(
                skill=skill, version=version, content=content, changelog=f"{version}", created_by=admin
            )
    return created


DEMO_NAMESPACE = uuid.UUID("0d3c1f7e-2b8a-4c55-9a61-7f0e4b2d9c11")
DEMO_EVENTS = 600


def _demo_events(learners) -> list[dict]:
    """Three weeks of telemetry with deterministic ids, so a re-run stores nothing twice."""
    rng = random.Random(7)
    skills = [spec[0] for spec in DEMO_SKILLS]
    start = timezone.now().replace(hour=9, minute=0, second=0, microsecond=0) - timedelta(days=21)
    events = []
    for n in range(DEMO_EVENTS):
        outcome = rng.choice(["success"] * 8 + ["failure", "error"])
        events.append(
            {
                "event_id": str(uuid.uuid5(DEMO_NAMESPACE, str(n))),
                "skill_id": rng.choice(skills[:8]),
                "outcome": outcome,
                "user": learners[n % len(learners)].pk,
                "session_id": f"demo-session-{n // 3}",
                "latency_ms": int(rng.lognormvariate(6, 0.8)),
                "error_type": rng.choice(["Timeout", "RateLimit", "ParseError"]) if outcome == "error" else "",
                "workflow_path": rng.choice(["plan/execute", "plan/review/execute", "quick", "search/read/answer"]),
                "tokens_used": rng.randrange(200, 4000),
                "tokens_saved": rng.randrange(0, 900),
                "cost_usd": f"{rng.randrange(5, 900) / 100000:.5f}",
                "state_snapshot": {"tier": "standard", "element": rng.choice(["fire", "water"]), "realm": "demo"},
                "occurred_at": (start + timedelta(minutes=n * 50)).isoformat(),
            }
        )
    return events


def _demo_roadmap(learner) -> None:
    from roadmaps.models import Roadmap
    from roadmaps.services import roadmap_create_from_goal

    if not Roadmap.objects.filter(owner=learner).exists():
        roadmap_create_from_goal(owner=learner, user_query="learn to juggle three balls", skill_type="physical")


@transaction.atomic
def seed_demo() -> DemoResult:
    admin = _ensure_user(DEMO_ADMIN_USERNAME, DEMO_ADMIN_PASSWORD, staff=True)
    learners = [_ensure_user(name, DEMO_LEARNER_PASSWORD) for name in DEMO_LEARNERS]
    created = sum(_ensure_skill(spec, admin) for spec in DEMO_SKILLS)
    advanced = Skill.objects.filter(tier__in=[Tier.ADVANCED, Tier.EXPERT]).order_by("skill_id")
    for learner, skill in zip(learners, advanced, strict=False):
        if not skill.unlocks.filter(user=learner).exists():
            skill_unlock_grant(user=learner, skill=skill, reason="demo: completed onboarding", granted_by=admin)
    usage_events_record(events=_demo_events(learners), user=admin)
    _demo_roadmap(learners[0])
    return DemoResult(admin_username=admin.username, admin_password=DEMO_ADMIN_PASSWORD, skills_created=created)
