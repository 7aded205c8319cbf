"""The roadmaps API: deconstructions, roadmaps, milestone progress, practice activities.

Every queryset is scoped to the caller (another learner's id is a 404); staff read all
but write only their own.

Importing this package registers its viewsets on the project router.
"""

from skillsite.api import router

from .catalog import PlanCatalogViewSet
from .deconstructions import DeconstructionViewSet
from .milestones import MilestoneProgressViewSet
from .practice import PracticeActivityViewSet
from .roadmaps import RoadmapViewSet

router.register("plan-catalog", PlanCatalogViewSet, basename="plan-catalog")
router.register("deconstructions", DeconstructionViewSet, basename="deconstruction")
router.register("roadmaps", RoadmapViewSet, basename="roadmap")
router.register("milestone-progress", MilestoneProgressViewSet, basename="milestone-progress")
router.register("practice-activities", PracticeActivityViewSet, basename="practice-activity")
