"""factory_boy factories for both apps' tests, and `make_roadmap`.

Roadmaps and practice activities are made through the services (the only write paths), so their
progress rows and counters are what the app itself would have written.
"""

import uuid

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.utils import timezone

from accounts.models import APIKey
from accounts.scopes import Scope
from accounts.services import api_key_create
from roadmaps.models import MilestoneProgress, PracticeActivity, Roadmap, SkillDeconstruction
from roadmaps.services.practice import practice_activity_log
from roadmaps.services.roadmaps import roadmap_create, roadmap_create_from_goal
from skills.models import Outcome, Skill, SkillUnlock, SkillVersion, Tier, UsageEvent
from skills.services.experiments import experiment_create, experiment_start
from skills.services.registry import skill_version_publish
from tests.roadmaps.plans import plan


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True  # the permissions hook adds rows of its own; the user is saved already

    username = factory.Sequence(lambda n: f"learner{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("correct-horse-battery")

    @factory.post_generation
    def permissions(user, create, codenames, **kwargs):
        """UserFactory(permissions=["grant_unlock"]): the named permissions, by codename."""
        if create and codenames:
            user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))


def api_key_of(user, scope: str = Scope.WRITE, name: str = "test key") -> str:
    """A new API key of `user`, made by the service; returns its secret (shown once)."""
    return api_key_create(user=user, name=name, scope=scope)[1]


def api_key_with_secret(user, secret: str, scope: str = Scope.WRITE) -> APIKey:
    """A key whose secret (`<prefix>.<rest>`) is fixed in advance, for tools configured ahead of the
    test (schemathesis's settings file)."""
    prefix = secret.partition(".")[0]
    hashed = APIKey.objects.key_generator.hash(secret)
    return APIKey.objects.create(
        id=f"{prefix}.{hashed}", prefix=prefix, hashed_key=hashed, user=user, name="fixed", scope=scope
    )


class OperatorFactory(UserFactory):
    """An operator's service account: its telemetry may register the skills and versions it names."""

    username = factory.Sequence(lambda n: f"operator{n}")

    @factory.post_generation
    def registers_skills(user, create, extracted, **kwargs):
        if create:
            user.user_permissions.add(
                Permission.objects.get(codename="register_skills", content_type__app_label="skills")
            )


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


def make_experiment(skill=None, *, share: int = 5_000, start: bool = True, **options):
    """An experiment through the services: the skill's 1.0.0 current (the control) and 2.0.0
    published aside (the treatment, `share` basis points of the users)."""
    skill = skill or SkillFactory(tier=Tier.FOUNDATIONAL)
    body = "---\nname: {}\ndescription: test\n---\n{}\n"
    skill_version_publish(skill=skill, version="1.0.0", content=body.format(skill.skill_id, "control"))
    treatment = skill_version_publish(
        skill=skill, version="2.0.0", content=body.format(skill.skill_id, "treatment"), make_current=False
    )
    options.setdefault("min_effect", 0.2)
    experiment = experiment_create(skill=skill, name="try 2.0.0", treatments=[(treatment, share)], **options)
    return experiment_start(experiment=experiment) if start else experiment
