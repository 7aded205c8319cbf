"""Every write path of the roadmaps app; the API, the web pages and the admin call these.

Each is one transaction. The one exception is on purpose: the deconstruction engine (maybe
a network call to a model) runs before the transaction opens, in `deconstruction_create`
and `roadmap_create_from_goal`, which then write everything in one atomic block.

goals: a goal into a saved deconstruction; roadmaps: roadmaps created, changed, deleted;
milestones: milestone progress and its transitions; practice: logged practice sessions.
"""

from .goals import (
    BAD_SKILL_TYPE,
    CATALOG_SKILL_ID,
    GENERATION_WORKFLOW,
    NO_CATALOG_MATCH,
    QUERY_REQUIRED,
    UNKNOWN_CATALOG_ENTRY,
    catalog_entry_for,
    deconstruction_create,
    deconstruction_generate,
    deconstruction_save,
)
from .milestones import (
    ILLEGAL_TRANSITION,
    MILESTONE_LOCKED,
    milestone_complete,
    milestone_fail,
    milestone_notes_update,
    milestone_of,
    milestone_reset,
    milestone_start,
)
from .practice import (
    EDITABLE_FIELDS,
    NOT_EDITABLE,
    practice_activity_delete,
    practice_activity_log,
    practice_activity_update,
)
from .roadmaps import (
    GOAL_ALREADY_STARTED,
    NOT_YOUR_DECONSTRUCTION,
    TITLE_MAX_LENGTH,
    TITLE_TOO_LONG,
    GoalAlreadyStarted,
    existing_roadmap_for_goal,
    roadmap_create,
    roadmap_create_from_goal,
    roadmap_delete,
    roadmap_update,
)

__all__ = [
    "BAD_SKILL_TYPE",
    "CATALOG_SKILL_ID",
    "GENERATION_WORKFLOW",
    "NO_CATALOG_MATCH",
    "QUERY_REQUIRED",
    "UNKNOWN_CATALOG_ENTRY",
    "catalog_entry_for",
    "deconstruction_create",
    "deconstruction_generate",
    "deconstruction_save",
    "ILLEGAL_TRANSITION",
    "MILESTONE_LOCKED",
    "milestone_complete",
    "milestone_fail",
    "milestone_notes_update",
    "milestone_of",
    "milestone_reset",
    "milestone_start",
    "EDITABLE_FIELDS",
    "NOT_EDITABLE",
    "practice_activity_delete",
    "practice_activity_log",
    "practice_activity_update",
    "GOAL_ALREADY_STARTED",
    "NOT_YOUR_DECONSTRUCTION",
    "TITLE_MAX_LENGTH",
    "TITLE_TOO_LONG",
    "GoalAlreadyStarted",
    "existing_roadmap_for_goal",
    "roadmap_create",
    "roadmap_create_from_goal",
    "roadmap_delete",
    "roadmap_update",
]
