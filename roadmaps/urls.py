from django.urls import path

from . import views

app_name = "roadmaps"

milestone = "roadmaps/<uuid:roadmap_id>/milestones/<uuid:progress_id>"

urlpatterns = [
    path("", views.roadmap_list, name="list"),
    path("roadmaps/new/", views.roadmap_create, name="create"),
    path("roadmaps/archived/", views.roadmap_archived, name="archived"),
    path("roadmaps/<uuid:roadmap_id>/", views.roadmap_detail, name="detail"),
    path("roadmaps/<uuid:roadmap_id>/rename/", views.roadmap_rename, name="rename"),
    path("roadmaps/<uuid:roadmap_id>/archive/", views.roadmap_archive, {"archived": True}, name="archive"),
    path("roadmaps/<uuid:roadmap_id>/restore/", views.roadmap_archive, {"archived": False}, name="restore"),
    path("roadmaps/<uuid:roadmap_id>/delete/", views.roadmap_delete_confirm, name="delete"),
    path(f"{milestone}/practice/", views.practice_log, name="practice"),
    path(f"{milestone}/notes/", views.milestone_notes, name="notes"),
    path(f"{milestone}/<slug:action>/", views.milestone_action, name="milestone-action"),
    path("practice/", views.history, name="history"),
    path("practice/<uuid:activity_id>/edit/", views.practice_edit, name="practice-edit"),
    path("practice/<uuid:activity_id>/delete/", views.practice_delete, name="practice-delete"),
    path("undo/", views.undo, name="undo"),
]
