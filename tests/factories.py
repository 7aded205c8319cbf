"""factory_boy factories for both apps' tests, and `make_roadmap`.

Roadmaps and practice activities are made through the services (the only write paths), so their
progress rows and counters are what the app itself would have written.
"""

import uuid

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from roadmaps.models import MilestoneProgress, PracticeActivity, Roadmap, SkillDeconstruction
from roadmaps.services.practice import practice_activity_log
from roadmaps.services.roadmaps import roadmap_create, roadmap_create_from_goal
from skills.models import Outcome, Skill, SkillUnlock, SkillVersion, Tier, UsageEvent
from tests.roadmaps.plans import plan


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"learner{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("correct-horse-battery")


class SkillFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Skill

    skill_id = factory.Sequence(lambda n: f"skill-{n}")
    display_name = factory.LazyAttribute(lambda s: s.skill_id.replace("-", " ").title())
    description = "Does a useful thing."
    tier = Tier.STANDARD
    category = "general"
    trust_level = 3


class SkillVersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SkillVersion

    skill = factory.SubFactory(SkillFactory)
    version = factory.Sequence(lambda n: f"1.0.{n}")
    content = factory.LazyAttribute(lambda v: f"---\nname: {v.skill.skill_id}\n---\nversion {v.version}\n")
    is_current = False


class SkillUnlockFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SkillUnlock

    user = factory.SubFactory(UserFactory)
    skill = factory.SubFactory(SkillFactory)
    unlocked = True
    unlocked_at = factory.LazyFunction(timezone.now)
    unlock_reason = "granted in a test"


class UsageEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = UsageEvent

    event_id = factory.LazyFunction(uuid.uuid4)
    skill = factory.SubFactory(SkillFactory)
    session_id = factory.Sequence(lambda n: f"session-{n}")
    outcome = Outcome.SUCCESS
    completed = factory.LazyAttribute(lambda e: e.outcome == Outcome.SUCCESS)
    latency_ms = 120
    occurred_at = factory.LazyFunction(timezone.now)


def make_roadmap(owner, query: str = "learn to ride a unicycle", skill_type: str = "physical"):
    """A roadmap from a goal through the real service, with its progress rows. The default goal
    is not in the catalog, so it gets the generic engine's plan (m1-1 1 × 1, m1-2 3 × 1…); a
    catalog goal ("learn to juggle") gets a copy of its expert plan."""
    roadmap, _warnings = roadmap_create_from_goal(owner=owner, user_query=query, skill_type=skill_type)
    return roadmap


class EmergenceCandidateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "skills.EmergenceCandidate"

    signature_hash = factory.Sequence(lambda n: f"{n:064x}")
    skills = factory.Sequence(lambda n: [f"pdf-{n}", f"summarize-{n}"])
    tier, element, realm = "standard", "fire", "code"
    support_count = 12
    avg_success_rate = 0.9
    field_coherence = 1.0
    status = "review"
    first_seen = factory.LazyFunction(timezone.now)
    last_seen = factory.LazyFunction(timezone.now)


class SkillDeconstructionFactory(factory.django.DjangoModelFactory):
    """A deconstruction of `levels` levels × `milestones_per_level` milestones (ids m1-1, m1-2, m2-1…)."""

    class Meta:
        model = SkillDeconstruction

    class Params:
        levels = 3
        milestones_per_level = 1
        reps = 2
        sets = 1

    owner = factory.SubFactory(UserFactory)
    user_query = "learn to juggle three balls"
    skill_name = "Juggle three balls"
    skill_type = "physical"
    deconstruction_data = factory.LazyAttribute(
        lambda o: plan(o.milestones_per_level, levels=o.levels, reps=o.reps, sets=o.sets)
    )


class RoadmapFactory(factory.django.DjangoModelFactory):
    """A roadmap over a deconstruction, with one progress row per milestone (roadmap_create)."""

    class Meta:
        model = Roadmap

    owner = factory.SubFactory(UserFactory)
    title = factory.Sequence(lambda n: f"Roadmap {n}")
    description = ""
    deconstruction = factory.SubFactory(SkillDeconstructionFactory, owner=factory.SelfAttribute("..owner"))

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return roadmap_create(**kwargs)


def progress_of(roadmap: Roadmap, milestone_id: str = "m1-1") -> MilestoneProgress:
    return MilestoneProgress.objects.select_related("deconstruction").get(
        deconstruction=roadmap.deconstruction_id, milestone_id=milestone_id
    )


class PracticeActivityFactory(factory.django.DjangoModelFactory):
    """Practice logged through practice_activity_log, so the milestone's counters move."""

    class Meta:
        model = PracticeActivity

    progress = factory.LazyFunction(lambda: progress_of(RoadmapFactory()))
    activity_type = "exercise"
    title = factory.Sequence(lambda n: f"Set {n}")
    reps = 1
    completion_time = 10
    difficulty_rating = 3

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return practice_activity_log(**kwargs)
