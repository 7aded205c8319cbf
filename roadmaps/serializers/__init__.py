"""Input and output shapes of the roadmaps API.

catalog: the plan catalog; deconstructions: goals and plans; milestones: milestone progress
and its lock; roadmaps: roadmaps and their progress; practice: practice sessions.
"""

from .catalog import (
    CatalogEntryDetailSerializer,
    CatalogEntrySerializer,
    CatalogQuerySerializer,
    CatalogSuggestionSerializer,
    closest_catalog_entries,
)
from .deconstructions import (
    CATALOG_ENTRY_HELP,
    SKILL_TYPE_HELP,
    DeconstructionCreatedSerializer,
    DeconstructionInputSerializer,
    DeconstructionSerializer,
    PlanField,
)
from .milestones import (
    LOCKED_HELP,
    WAITING_FOR_HELP,
    MilestoneNotesSerializer,
    MilestoneProgressLockSerializer,
    MilestoneProgressSerializer,
    PrerequisiteSerializer,
    waiting_for_data,
)
from .practice import (
    COMPLETED_IS_DERIVED,
    NOT_CHANGEABLE,
    PracticeActivitySerializer,
    PracticeActivityUpdateSerializer,
)
from .roadmaps import (
    GOAL_OR_DECONSTRUCTION,
    DoThisNowSerializer,
    GoalAlreadyStartedSerializer,
    LevelProgressSerializer,
    LevelSerializer,
    MilestoneSerializer,
    ProgressSerializer,
    RoadmapCreatedSerializer,
    RoadmapDetailSerializer,
    RoadmapInputSerializer,
    RoadmapSerializer,
    RoadmapUpdateSerializer,
)

__all__ = [
    "CatalogEntryDetailSerializer",
    "CatalogEntrySerializer",
    "CatalogQuerySerializer",
    "CatalogSuggestionSerializer",
    "closest_catalog_entries",
    "CATALOG_ENTRY_HELP",
    "SKILL_TYPE_HELP",
    "DeconstructionCreatedSerializer",
    "DeconstructionInputSerializer",
    "DeconstructionSerializer",
    "PlanField",
    "LOCKED_HELP",
    "WAITING_FOR_HELP",
    "MilestoneNotesSerializer",
    "MilestoneProgressLockSerializer",
    "MilestoneProgressSerializer",
    "PrerequisiteSerializer",
    "waiting_for_data",
    "COMPLETED_IS_DERIVED",
    "NOT_CHANGEABLE",
    "PracticeActivitySerializer",
    "PracticeActivityUpdateSerializer",
    "GOAL_OR_DECONSTRUCTION",
    "DoThisNowSerializer",
    "GoalAlreadyStartedSerializer",
    "LevelProgressSerializer",
    "LevelSerializer",
    "MilestoneSerializer",
    "ProgressSerializer",
    "RoadmapCreatedSerializer",
    "RoadmapDetailSerializer",
    "RoadmapInputSerializer",
    "RoadmapSerializer",
    "RoadmapUpdateSerializer",
]
