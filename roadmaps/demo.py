"""The site's demo data: the skills app's (`skills.demo`), then a roadmap for the first learner,
then every demo event folded into the roll-ups. Idempotent, as `skills.demo` is."""

from __future__ import annotations

from django.db import transaction

from skills.demo import DemoResult, skills_demo_seed
from skills.ingestion.fold import usage_rollups_fold

from .models import Roadmap
from .services.roadmaps import roadmap_create_from_goal

DEMO_GOAL = "learn to juggle three balls"


def seed_demo() -> DemoResult:
    with transaction.atomic():
        result = skills_demo_seed()
        learner = result.learners[0]
        if not Roadmap.objects.for_learner(learner).exists():
            roadmap_create_from_goal(owner=learner, user_query=DEMO_GOAL, skill_type="physical")
    usage_rollups_fold()  # the charts and metrics show every demo event (the roadmap's generation too) at once
    return result
