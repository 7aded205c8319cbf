"""factory_boy factories for the roadmaps app.

Roadmaps and practice activities are made through the services (the only write paths),
so their progress rows and counters are what the app itself would have written.
"""

import factory

from roadmaps.models import MilestoneProgress, PracticeActivity, Roadmap, SkillDeconstruction
from roadmaps.services.practice import practice_activity_log
from roadmaps.services.roadmaps import roadmap_create
from tests.factories import UserFactory
from tests.roadmaps.plans import plan


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
