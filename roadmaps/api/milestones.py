"""Milestone progress: read it, change its notes, and move it through the legal transitions."""

from __future__ import annotations

import django_filters
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.scopes import scope_rules

from .. import examples
from ..models import MilestoneProgress
from ..serializers.milestones import MilestoneNotesSerializer, MilestoneProgressLockSerializer
from ..services.milestones import (
    milestone_complete,
    milestone_fail,
    milestone_notes_update,
    milestone_reset,
    milestone_start,
)
from .common import ERRORS, OwnedQuerysetMixin

TRANSITION_RESPONSES = {
    200: MilestoneProgressLockSerializer,
    400: OpenApiResponse(ERRORS, "A locked milestone: waiting_for names its prerequisites.", [examples.LOCKED_START]),
    409: OpenApiResponse(ERRORS, "Not a legal transition from the current status.", [examples.ILLEGAL_MOVE]),
}


class MilestoneProgressFilter(django_filters.FilterSet):
    # UUID filters, not model choices: no query to validate them, and another learner's id
    # reads as "no rows" rather than "valid choice".
    deconstruction = django_filters.UUIDFilter()
    roadmap = django_filters.UUIDFilter(field_name="deconstruction__roadmaps", distinct=True)

    class Meta:
        model = MilestoneProgress
        fields = ["status", "deconstruction", "milestone_id", "roadmap"]


class MilestoneProgressViewSet(OwnedQuerysetMixin, viewsets.ReadOnlyModelViewSet):
    """Progress of one milestone; start / complete / fail / reset follow the legal transitions.
    A milestone not started whose prerequisites are not all completed is `locked` (its
    `waiting_for` names them) and cannot be started. PATCH changes only the learner's notes."""

    key_scopes = scope_rules(read=("list", "retrieve"), write=("partial_update", "start", "complete", "fail", "reset"))

    queryset = MilestoneProgress.objects.none()
    serializer_class = MilestoneProgressLockSerializer
    filterset_class = MilestoneProgressFilter

    def base_queryset(self):
        # The plans and their progress rows, for the locks: two queries whatever the page size.
        return MilestoneProgress.objects.prefetch_related("deconstruction", "deconstruction__progress").order_by(
            "created_at", "id"
        )

    @extend_schema(
        request=MilestoneNotesSerializer,
        responses={200: MilestoneProgressLockSerializer, 400: OpenApiResponse(ERRORS, "notes is too long.")},
        examples=[examples.MILESTONE_NOTES],
    )
    def partial_update(self, request, pk=None):
        """Your notes on this milestone (status and counters change only through the actions)."""
        given = MilestoneNotesSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        notes = given.validated_data.get("notes")
        progress = milestone_notes_update(progress=self.get_object(), notes=notes)
        return Response(MilestoneProgressLockSerializer(progress).data)

    def _transition(self, service) -> Response:
        progress = service(progress=self.get_object())
        return Response(MilestoneProgressLockSerializer(progress).data)

    @extend_schema(request=None, responses=TRANSITION_RESPONSES)
    @action(detail=True, methods=["post"])
    def start(self, request, pk=None):
        """Not started or failed → in progress (the start time is kept on a restart); a locked
        milestone → 400 naming the prerequisites it waits for."""
        return self._transition(milestone_start)

    @extend_schema(request=None, responses=TRANSITION_RESPONSES)
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        """In progress → completed."""
        return self._transition(milestone_complete)

    @extend_schema(request=None, responses=TRANSITION_RESPONSES)
    @action(detail=True, methods=["post"])
    def fail(self, request, pk=None):
        """In progress → failed; start again when ready."""
        return self._transition(milestone_fail)

    @extend_schema(request=None, responses=TRANSITION_RESPONSES)
    @action(detail=True, methods=["post"])
    def reset(self, request, pk=None):
        """Back to not started: timestamps and practice counters cleared (the activities stay)."""
        return self._transition(milestone_reset)
