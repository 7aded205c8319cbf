"""Examples for the OpenAPI schema of the roadmaps API (request and response bodies)."""

from drf_spectacular.utils import OpenApiExample

# Seed 003's example plan (its total made to add up).
SEED_PLAN = {
    "levels": [
        {
            "level": 1,
            "title": "Level 1: Foundation",
            "description": "Basic understanding and initial attempts",
            "milestones": [
                {
                    "id": "milestone_1",
                    "title": "Variables and Data Types",
                    "description": "Write a program that stores user input in a variable and prints it back",
                    "doThisNow": {
                        "prompt": "Write a Python program that prompts the user for an integer and prints 'Even' if "
                        "it's even, and 'Odd' if it's odd. You must use an if/else statement.",
                        "reps": 3,
                        "sets": 1,
                        "successCriteria": "Code runs without errors and produces correct output",
                    },
                    "estimatedTime": 30,
                    "icon": "code",
                }
            ],
        }
    ],
    "totalEstimatedTime": 30,
    "difficulty": "beginner",
}

FROM_A_GOAL = OpenApiExample(
    "From a goal",
    description="A goal the catalog knows gets a copy of its expert plan; any other goal the engine's generic "
    "plan, with the closest expert plans offered. skill_type is optional.",
    request_only=True,
    value={"user_query": "learn to juggle three balls"},
)
FROM_A_CATALOG_ENTRY = OpenApiExample(
    "From a catalog entry",
    description="Start a named expert plan (an id from /api/plan-catalog/), confirming a second roadmap.",
    request_only=True,
    value={"user_query": "Juggling three balls", "catalog_entry": "juggling", "confirm": True},
)
GOAL_ALREADY_STARTED = OpenApiExample(
    "Goal already started",
    response_only=True,
    status_codes=["409"],
    value={
        "detail": "confirm: You already have a roadmap for this goal: “Juggling three balls”. "
        "Confirm to start another one.",
        "errors": {
            "confirm": [
                "You already have a roadmap for this goal: “Juggling three balls”. Confirm to start another one."
            ]
        },
        "existing_roadmap": "5f0c2a64-1d1e-4a55-9a43-2b0a3f7c9e11",
    },
)
FROM_POSTED_DATA = OpenApiExample(
    "From your own plan",
    description="A plan in seed 003's shape; every error names its JSON path.",
    request_only=True,
    value={
        "user_query": "learn Python",
        "skill_type": "abstract",
        "skill_name": "Python",
        "deconstruction_data": SEED_PLAN,
    },
)
FROM_A_DECONSTRUCTION = OpenApiExample(
    "From a deconstruction",
    description="One of your deconstructions (its id); one progress row is made per milestone.",
    request_only=True,
    value={"deconstruction": "3f2c8f4e-9a53-4c1e-8d0b-6f7a1c2e5d90", "title": "Python, properly"},
)
BAD_PLAN = OpenApiExample(
    "A plan with a bad milestone",
    response_only=True,
    status_codes=["400"],
    value={
        "detail": "levels[0].milestones[1].doThisNow.reps: must be an integer ≥ 1",
        "errors": {"levels[0].milestones[1].doThisNow.reps": ["must be an integer ≥ 1"]},
    },
)
PROGRESS = OpenApiExample(
    "Half of level 1",
    response_only=True,
    value={
        "percent": 14,
        "minutes_done": 20,
        "minutes_total": 140,
        "milestones_completed": 1,
        "milestones_total": 6,
        "levels": [
            {"level": 1, "title": "Level 1: Foundation", "percent": 57, "minutes_done": 20, "minutes_total": 35},
            {"level": 2, "title": "Level 2: Practice", "percent": 0, "minutes_done": 0, "minutes_total": 55},
            {"level": 3, "title": "Level 3: Mastery", "percent": 0, "minutes_done": 0, "minutes_total": 50},
        ],
    },
)
PRACTICE = OpenApiExample(
    "A completed set",
    description="Counts an attempt and its reps as completions; reps × sets completions complete the "
    "milestone, and a not-started milestone starts.",
    request_only=True,
    value={
        "milestone_progress": "0b8f3c52-6f0e-4d7c-9a4e-2f1d5e6a7b8c",
        "activity_type": "drill",
        "title": "Three-ball cascade, set 1",
        "reps": 1,
        "completion_time": 10,
        "difficulty_rating": 3,
        "user_notes": "Dropped twice on the left hand.",
    },
)
PRACTICE_CORRECTION = OpenApiExample(
    "A corrected count",
    description="The session covered 3 reps, not 1; the milestone is recounted (and completes if that reaches "
    "reps × sets, or re-opens if a completion made by practice is no longer reached).",
    request_only=True,
    value={"reps": 3, "completion_time": 12},
)
ILLEGAL_MOVE = OpenApiExample(
    "An illegal transition",
    response_only=True,
    status_codes=["409"],
    value={
        "detail": "status: Milestone m1-1 cannot go from not_started to completed.",
        "errors": {"status": ["Milestone m1-1 cannot go from not_started to completed."]},
    },
)

MILESTONE_NOTES = OpenApiExample(
    "Notes on a milestone", value={"notes": "The cascade feels smoother after ten minutes."}, request_only=True
)

LOCKED_START = OpenApiExample(
    "A locked milestone",
    response_only=True,
    status_codes=["400"],
    value={
        "waiting_for": [
            "“Three-ball flash” (three-ball-flash) is locked: it waits for “Two-ball exchange” (two-ball-exchange) "
            "to be completed first."
        ]
    },
)
