"""Demo data for a fresh site: a dozen skills with versions, a few users, unlocks.

Idempotent: running it again leaves the same data (existing rows are kept).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction

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


@transaction.atomic
def seed_demo() -> DemoResult:
    admin = _ensure_user(DEMO_ADMIN_USERNAME, DEMO_ADMIN_PASSWORD, staff=True)
    learners = [_ensure_user(name, DEMO_LEARNER_PASSWORD) for name in DEMO_LEARNERS]
    created = sum(_ensure_skill(spec, admin) for spec in DEMO_SKILLS)
    advanced = Skill.objects.filter(tier__in=[Tier.ADVANCED, Tier.EXPERT]).order_by("skill_id")
    for learner, skill in zip(learners, advanced, strict=False):
        if not skill.unlocks.filter(user=learner).exists():
            skill_unlock_grant(user=learner, skill=skill, reason="demo: completed onboarding", granted_by=admin)
    return DemoResult(admin_username=admin.username, admin_password=DEMO_ADMIN_PASSWORD, skills_created=created)
