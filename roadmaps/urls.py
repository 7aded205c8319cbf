from django.urls import path

from . import views

app_name = "roadmaps"

urlpatterns = [
    path("", views.roadmap_list, name="list"),
    path("roadmaps/new/", views.roadmap_create, name="create"),
    path("roadmaps/<uuid:roadmap_id>/", views.roadmap_detail, name="detail"),
    path(
        "roadmaps/<uuid:roadmap_id>/milestones/<uuid:progress_id>/practice/",
        views.practice_log,
        name="practice",
    ),
    path(
        "roadmaps/<uuid:roadmap_id>/milestones/<uuid:progress_id>/<slug:action>/",
        views.milestone_action,
        name="milestone-action",
    ),
    path("practice/", views.history, name="history"),
    path("accounts/signup/", views.signup, name="signup"),
]
