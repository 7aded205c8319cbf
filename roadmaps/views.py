"""Learner pages: thin views over the roadmaps services and selectors."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from . import services
from .catalog import catalog
from .catalog.matching import closest_entries
from .forms import GoalForm, PracticeForm, SignUpForm
from .models import MilestoneProgress, Roadmap
from .selectors import (
    last_practice_by_roadmap,
    practice_history,
    practice_streak,
    roadmap_page,
    roadmap_view,
    roadmaps_with_progress,
)

MILESTONE_ACTIONS = {
    "start": services.milestone_start,
    "complete": services.milestone_complete,
    "fail": services.milestone_fail,
    "reset": services.milestone_reset,
}


def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("roadmaps:list")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, "Welcome! Start a roadmap from something you want to learn.")
        return redirect("roadmaps:list")
    return render(request, "registration/signup.html", {"form": form})


def _suggestions(roadmap: Roadmap) -> list:
    """The expert plans offered beside a generic roadmap (matched in-process: no query)."""
    deconstruction = roadmap.deconstruction
    if deconstruction is None or not deconstruction.is_generic:
        return []
    return [match.entry for match in closest_entries(deconstruction.user_query)]


@login_required
def roadmap_list(
    request: HttpRequest, goal_form: GoalForm | None = None, existing: Roadmap | None = None
) -> HttpResponse:
    """My roadmaps and the goal form; re-rendered with the form's errors (400), or asking to
    confirm a second roadmap for a goal already started (409)."""
    roadmaps = list(roadmaps_with_progress(Roadmap.objects.for_learner(request.user)))
    last_practice = last_practice_by_roadmap(roadmaps)
    cards = [(r, roadmap_view(r), last_practice.get(r.pk), _suggestions(r)) for r in roadmaps]
    context = {
        "cards": cards,
        "goal_form": goal_form or GoalForm(),
        "existing": existing,
        "catalog_titles": [entry.title for entry in catalog().values()],
    }
    status = 409 if existing else 400 if goal_form else 200
    return render(request, "roadmaps/list.html", context, status=status)


@login_required
@require_POST
def roadmap_create(request: HttpRequest) -> HttpResponse:
    form = GoalForm(request.POST)
    if not form.is_valid():
        return roadmap_list(request, goal_form=form)
    try:
        roadmap, warnings = services.roadmap_create_from_goal(owner=request.user, **form.cleaned_data)
    except services.GoalAlreadyStarted as already:
        form.add_error("confirm", already.messages)
        return roadmap_list(request, goal_form=form, existing=already.roadmap)
    except ValidationError as error:
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
        return roadmap_list(request, goal_form=form)
    for warning in warnings:
        messages.warning(request, warning)
    return redirect(roadmap)


def _own_roadmap(request: HttpRequest, roadmap_id, *, with_activities: bool = False) -> Roadmap:
    """The learner's own roadmap, or 404 (another learner's roadmap does not exist for them)."""
    roadmaps = roadmaps_with_progress(Roadmap.objects.for_learner(request.user), with_activities=with_activities)
    return get_object_or_404(roadmaps, pk=roadmap_id)


@login_required
def roadmap_detail(request: HttpRequest, roadmap_id, bound_form: tuple | None = None) -> HttpResponse:
    page = roadmap_page(_own_roadmap(request, roadmap_id, with_activities=True), bound_form=bound_form)
    return render(request, "roadmaps/detail.html", {"page": page, "roadmap": page.view.roadmap})


def _own_progress(request: HttpRequest, roadmap: Roadmap, progress_id) -> MilestoneProgress:
    if roadmap.deconstruction_id is None:
        raise Http404
    return get_object_or_404(MilestoneProgress, pk=progress_id, deconstruction_id=roadmap.deconstruction_id)


def _back_to(roadmap: Roadmap, progress: MilestoneProgress) -> HttpResponse:
    return redirect(f"{reverse('roadmaps:detail', args=[roadmap.pk])}#milestone-{progress.milestone_id}")


@login_required
@require_POST
def milestone_action(request: HttpRequest, roadmap_id, progress_id, action: str) -> HttpResponse:
    if action not in MILESTONE_ACTIONS:
        raise Http404
    roadmap = _own_roadmap(request, roadmap_id)
    progress = _own_progress(request, roadmap, progress_id)
    try:
        MILESTONE_ACTIONS[action](progress=progress)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return _back_to(roadmap, progress)


@login_required
@require_POST
def practice_log(request: HttpRequest, roadmap_id, progress_id) -> HttpResponse:
    roadmap = _own_roadmap(request, roadmap_id)
    progress = _own_progress(request, roadmap, progress_id)
    form = PracticeForm(request.POST, progress_id=progress.pk)
    if not form.is_valid():
        return roadmap_detail(request, roadmap_id, bound_form=(progress.pk, form))
    try:
        services.practice_activity_log(progress=progress, **form.cleaned_data)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Practice logged: {form.cleaned_data['title']}")
    return _back_to(roadmap, progress)


@login_required
def history(request: HttpRequest) -> HttpResponse:
    activities = practice_history(request.user)
    return render(request, "roadmaps/history.html", {"activities": activities, "streak": practice_streak(request.user)})
