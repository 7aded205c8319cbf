"""Learner pages: thin views over the roadmaps services and selectors."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from .catalog import catalog
from .catalog.matching import closest_entries
from .forms import GoalForm, MilestoneNotesForm, PracticeForm, RoadmapForm
from .models import MilestoneProgress, PracticeActivity, Roadmap
from .selectors.deletion import practice_deletion
from .selectors.history import practice_page
from .selectors.roadmaps import practice_by_roadmap, roadmap_page, roadmap_view, roadmaps_with_progress
from .services.milestones import (
    milestone_complete,
    milestone_fail,
    milestone_notes_update,
    milestone_of,
    milestone_reset,
    milestone_start,
)
from .services.practice import (
    practice_activity_delete,
    practice_activity_log,
    practice_activity_restore,
    practice_activity_update,
)
from .services.roadmaps import (
    GoalAlreadyStarted,
    roadmap_create_from_goal,
    roadmap_delete,
    roadmap_restore,
    roadmap_update,
)
from .services.undo import deletion_snapshot

# A message about one milestone carries this tag and its milestone id; the roadmap page shows
# it beside that milestone (elsewhere it shows at the top like any message).
MILESTONE_TAG = "milestone:"

# The latest deletion, kept in the learner's session so its message can offer to undo it.
UNDO_SESSION_KEY = "roadmaps_undo"
UNDO_TAG = "undo-offer"
UNDO_MINUTES = 30
PRACTICE_DELETED = "Practice deleted: {title} ({progress})."
PRACTICE_RESTORED = "Practice restored ({progress})."
ROADMAP_DELETED = "Deleted “{title}” with its progress and practice log."
ROADMAP_RESTORED = "Restored “{title}” with its progress and practice log."
UNDO_GONE = "Nothing to undo: only the latest deletion can be undone, within {minutes} minutes."


class UndoKind(models.TextChoices):
    PRACTICE = "practice"
    ROADMAP = "roadmap"


MILESTONE_ACTIONS = {
    "start": milestone_start,
    "complete": milestone_complete,
    "fail": milestone_fail,
    "reset": milestone_reset,
}


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
    roadmaps = list(roadmaps_with_progress(Roadmap.objects.for_learner(request.user).active()))
    practice = practice_by_roadmap(roadmaps)
    cards = [(r, roadmap_view(r), practice.get(r.pk), _suggestions(r)) for r in roadmaps]
    context = {
        "cards": cards,
        "goal_form": goal_form or GoalForm(),
        "existing": existing,
        "archived": Roadmap.objects.for_learner(request.user).archived().count(),
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
        roadmap, warnings = roadmap_create_from_goal(owner=request.user, **form.cleaned_data)
    except GoalAlreadyStarted as already:
        form.add_error("confirm", already.messages)
        return roadmap_list(request, goal_form=form, existing=already.roadmap)
    except ValidationError as error:
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
        return roadmap_list(request, goal_form=form)
    for warning in warnings:
        messages.warning(request, warning)
    return redirect(roadmap)


@login_required
def roadmap_archived(request: HttpRequest) -> HttpResponse:
    roadmaps = Roadmap.objects.for_learner(request.user).archived().order_by("-archived_at")
    return render(request, "roadmaps/archived.html", {"roadmaps": roadmaps})


def _own_roadmap(request: HttpRequest, roadmap_id, *, with_activities: bool = False) -> Roadmap:
    """The learner's own roadmap, or 404 (another learner's roadmap does not exist for them)."""
    roadmaps = roadmaps_with_progress(Roadmap.objects.for_learner(request.user), with_activities=with_activities)
    return get_object_or_404(roadmaps, pk=roadmap_id)


def _notices(request: HttpRequest) -> tuple[list, dict[str, list]]:
    """This request's messages: (the general ones, milestone id → the ones about it)."""
    general, by_milestone = [], {}
    for message in messages.get_messages(request):
        tag = next((t for t in message.extra_tags.split() if t.startswith(MILESTONE_TAG)), None)
        if tag:
            by_milestone.setdefault(tag.removeprefix(MILESTONE_TAG), []).append(message)
        else:
            general.append(message)
    return general, by_milestone


@login_required
def roadmap_detail(request: HttpRequest, roadmap_id, bound: dict | None = None, status: int = 200) -> HttpResponse:
    general, by_milestone = _notices(request)
    roadmap = _own_roadmap(request, roadmap_id, with_activities=True)
    page = roadmap_page(roadmap, bound=bound, notices=by_milestone)
    # Messages about a milestone of another roadmap still show, at the top.
    general += [m for milestone_id, found in by_milestone.items() if milestone_id not in page.cards for m in found]
    context = {"page": page, "roadmap": roadmap, "messages": general}
    return render(request, "roadmaps/detail.html", context, status=status)


def _own_progress(request: HttpRequest, roadmap: Roadmap, progress_id) -> MilestoneProgress:
    if roadmap.deconstruction_id is None:
        raise Http404
    return get_object_or_404(MilestoneProgress, pk=progress_id, deconstruction_id=roadmap.deconstruction_id)


def _back_to(roadmap_id, progress: MilestoneProgress) -> HttpResponse:
    return redirect(f"{reverse('roadmaps:detail', args=[roadmap_id])}#milestone-{progress.milestone_id}")


def _notify(request: HttpRequest, progress: MilestoneProgress, level: int, text: str) -> None:
    messages.add_message(request, level, text, extra_tags=f"{MILESTONE_TAG}{progress.milestone_id}")


def _refused(
    request: HttpRequest, roadmap: Roadmap, progress: MilestoneProgress, error: ValidationError
) -> HttpResponse:
    """The roadmap page again, with the service's reason beside the milestone (400: nothing changed)."""
    _notify(request, progress, messages.ERROR, " ".join(error.messages))
    return roadmap_detail(request, roadmap.pk, status=400)


@login_required
@require_POST
def milestone_action(request: HttpRequest, roadmap_id, progress_id, action: str) -> HttpResponse:
    if action not in MILESTONE_ACTIONS:
        raise Http404
    roadmap = _own_roadmap(request, roadmap_id)
    progress = _own_progress(request, roadmap, progress_id)
    try:
        moved = MILESTONE_ACTIONS[action](progress=progress)
    except ValidationError as error:
        return _refused(request, roadmap, progress, error)
    _notify(request, progress, messages.SUCCESS, f"{moved.get_status_display()}.")
    return _back_to(roadmap.pk, progress)


def _progress_line(progress: MilestoneProgress) -> str:
    target = milestone_of(progress).target
    return f"{progress.practice_completions} of {target} reps done; {progress.get_status_display().lower()}"


@login_required
@require_POST
def practice_log(request: HttpRequest, roadmap_id, progress_id) -> HttpResponse:
    roadmap = _own_roadmap(request, roadmap_id)
    progress = _own_progress(request, roadmap, progress_id)
    form = PracticeForm(request.POST, progress_id=progress.pk, milestone=milestone_of(progress))
    if not form.is_valid():
        return roadmap_detail(request, roadmap_id, bound={("practice", progress.pk): form}, status=400)
    try:
        activity = practice_activity_log(progress=progress, **form.cleaned_data)
    except ValidationError as error:
        return _refused(request, roadmap, progress, error)
    progress = activity.milestone_progress
    _notify(request, progress, messages.SUCCESS, f"Practice logged: {activity.title} ({_progress_line(progress)}).")
    return _back_to(roadmap.pk, progress)


@login_required
@require_POST
def milestone_notes(request: HttpRequest, roadmap_id, progress_id) -> HttpResponse:
    roadmap = _own_roadmap(request, roadmap_id)
    progress = _own_progress(request, roadmap, progress_id)
    form = MilestoneNotesForm(request.POST, progress_id=progress.pk)
    if not form.is_valid():
        return roadmap_detail(request, roadmap_id, bound={("notes", progress.pk): form})
    milestone_notes_update(progress=progress, notes=form.cleaned_data["notes"])
    _notify(request, progress, messages.SUCCESS, "Notes saved.")
    return _back_to(roadmap.pk, progress)


@login_required
@require_POST
def roadmap_rename(request: HttpRequest, roadmap_id) -> HttpResponse:
    roadmap = _own_roadmap(request, roadmap_id)
    form = RoadmapForm(request.POST)
    if not form.is_valid():
        return roadmap_detail(request, roadmap_id, bound={"rename": form}, status=400)
    roadmap_update(roadmap=roadmap, **form.cleaned_data)
    messages.success(request, f"Saved “{roadmap.title}”.")
    return redirect(roadmap)


@login_required
@require_POST
def roadmap_archive(request: HttpRequest, roadmap_id, archived: bool) -> HttpResponse:
    roadmap = roadmap_update(roadmap=_own_roadmap(request, roadmap_id), archived=archived)
    if archived:
        messages.success(request, f"Archived “{roadmap.title}”: it is under Archived roadmaps, ready to restore.")
        return redirect("roadmaps:list")
    messages.success(request, f"Restored “{roadmap.title}”.")
    return redirect(roadmap)


@login_required
@require_http_methods(["GET", "POST"])
def roadmap_delete_confirm(request: HttpRequest, roadmap_id) -> HttpResponse:
    """A confirmation page saying what goes; its POST deletes the roadmap and its practice and
    offers to undo it."""
    roadmap = _own_roadmap(request, roadmap_id, with_activities=True)
    if request.method == "POST":
        title = roadmap.title
        _offer_undo(request, UndoKind.ROADMAP, roadmap_delete(roadmap=roadmap), ROADMAP_DELETED.format(title=title))
        return redirect("roadmaps:list")
    page = roadmap_page(roadmap)
    return render(request, "roadmaps/delete.html", {"roadmap": roadmap, "page": page})


def _own_activity(request: HttpRequest, activity_id) -> PracticeActivity:
    activities = PracticeActivity.objects.for_learner(request.user)
    return get_object_or_404(activities.select_related("milestone_progress__deconstruction"), pk=activity_id)


def _safe_next(request: HttpRequest) -> str:
    """The page the learner came from, when it is a page of this site; else ""."""
    target = request.POST.get("next") or request.GET.get("next", "")
    safe = url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure())
    return target if safe else ""


def _after_edit(request: HttpRequest, activity: PracticeActivity) -> HttpResponse:
    """Back where the learner came from, else to the milestone on its roadmap."""
    target = _safe_next(request)
    if target:
        return redirect(target)
    roadmap = activity.milestone_progress.deconstruction.roadmaps.order_by("created_at").first()
    return _back_to(roadmap.pk, activity.milestone_progress) if roadmap else redirect("roadmaps:history")


@login_required
@require_http_methods(["GET", "POST"])
def practice_edit(request: HttpRequest, activity_id) -> HttpResponse:
    activity = _own_activity(request, activity_id)
    milestone = milestone_of(activity.milestone_progress)
    fields = {name: getattr(activity, name) for name in PracticeForm.base_fields}
    form = PracticeForm(request.POST or None, initial=fields, milestone=milestone)
    if request.method == "POST" and form.is_valid():
        try:
            activity = practice_activity_update(activity=activity, **form.cleaned_data)
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            progress = activity.milestone_progress
            _notify(
                request, progress, messages.SUCCESS, f"Practice updated: {activity.title} ({_progress_line(progress)})."
            )
            return _after_edit(request, activity)
    context = {"form": form, "activity": activity, "milestone": milestone, "next": _safe_next(request)}
    return render(request, "roadmaps/practice_edit.html", context, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def practice_delete(request: HttpRequest, activity_id) -> HttpResponse:
    """A confirmation page saying what the deletion takes back (reps, a completion, the
    milestones that would lock); its POST deletes the session and offers to undo it."""
    activity = _own_activity(request, activity_id)
    if request.method == "GET":
        context = {"deletion": practice_deletion(activity), "next": _safe_next(request)}
        return render(request, "roadmaps/practice_delete.html", context)
    snapshot = deletion_snapshot([activity])
    progress = practice_activity_delete(activity=activity)
    label = PRACTICE_DELETED.format(title=activity.title, progress=_progress_line(progress))
    _offer_undo(request, UndoKind.PRACTICE, snapshot, label)
    return _after_edit(request, activity)


def _offer_undo(request: HttpRequest, kind: str, snapshot: str, label: str) -> None:
    """Keeps the latest deletion in the learner's session and says so, with an Undo button."""
    token = secrets.token_urlsafe(12)
    request.session[UNDO_SESSION_KEY] = {"token": token, "kind": kind, "snapshot": snapshot,
                                         "at": timezone.now().isoformat()}  # fmt: skip
    messages.success(request, label, extra_tags=UNDO_TAG)


def _take_undo(request: HttpRequest) -> dict | None:
    """The deletion offered for undo, when the POST names it and it is recent; taken once."""
    offer = request.session.get(UNDO_SESSION_KEY)
    if not offer or not secrets.compare_digest(request.POST.get("token", ""), offer["token"]):
        return None
    del request.session[UNDO_SESSION_KEY]
    age = timezone.now() - datetime.fromisoformat(offer["at"])
    return offer if age <= timedelta(minutes=UNDO_MINUTES) else None


@login_required
@require_POST
def undo(request: HttpRequest) -> HttpResponse:
    """Puts the latest deletion back; an unknown, used or stale token changes nothing."""
    offer = _take_undo(request)
    if offer is None:
        messages.error(request, UNDO_GONE.format(minutes=UNDO_MINUTES))
        return redirect("roadmaps:list")
    try:
        if offer["kind"] == UndoKind.ROADMAP:
            roadmap = roadmap_restore(owner=request.user, snapshot=offer["snapshot"])
            messages.success(request, ROADMAP_RESTORED.format(title=roadmap.title))
            return redirect(roadmap)
        progress = practice_activity_restore(owner=request.user, snapshot=offer["snapshot"])
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("roadmaps:list")
    _notify(request, progress, messages.SUCCESS, PRACTICE_RESTORED.format(progress=_progress_line(progress)))
    roadmap = progress.deconstruction.roadmaps.order_by("created_at").first()
    return _back_to(roadmap.pk, progress) if roadmap else redirect("roadmaps:history")


@login_required
def history(request: HttpRequest) -> HttpResponse:
    return render(request, "roadmaps/history.html", {"page": practice_page(request.user)})
