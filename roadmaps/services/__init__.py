"""Every write path of the roadmaps app; the API, the web pages and the admin call these.

Each is one transaction. The one exception is on purpose: the deconstruction engine (maybe
a network call to a model) runs before the transaction opens, in `deconstruction_create`
and `roadmap_create_from_goal`, which then write everything in one atomic block.

goals: a goal into a saved deconstruction; roadmaps: roadmaps created, changed, deleted;
milestones: milestone progress and its transitions; practice: logged practice sessions.

Import each from its module (`from roadmaps.services.practice import practice_activity_log`):
this package re-exports nothing.
"""
