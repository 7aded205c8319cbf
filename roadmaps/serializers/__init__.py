"""Input and output shapes of the roadmaps API.

catalog: the plan catalog; deconstructions: goals and plans; milestones: milestone progress
and its lock; roadmaps: roadmaps and their progress; practice: practice sessions.

Import each from its module: this package re-exports nothing.
"""
