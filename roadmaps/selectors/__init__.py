"""Read paths of the roadmaps app shaped for pages and endpoints (QuerySet methods live on the models).

roadmaps: a roadmap's levels and milestones with their progress, locks and practice, the roadmap
page; history: the practice page (recent sessions, minutes, streak, heat map); export: a roadmap
or the practice history as rows for the export formats. Import each name from its module: this
package re-exports nothing.
"""
