"""Practice activities: log, list, correct and delete sessions; export them as CSV."""

from __future__ import annotations

import django_filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.scopes import scope_rules
from skillsite.filters import UTCIsoDateTimeFilter

from .. import examples
from ..export_formats import PracticeCSVRenderer, PracticeExportSerializer
from ..models import ActivityType, PracticeActivity
from ..selectors.export import practice_export
from ..serializers.practice import PracticeActivitySerializer, PracticeActivityUpdateSerializer
from ..services.practice import practice_activity_delete, practice_activity_log, practice_activity_update
from .common import ERRORS, ExportMixin, OwnedQuerysetMixin


class PracticeActivityFilter(django_filters.FilterSet):
    milestone = django_filters.UUIDFilter(field_name="milestone_progress", help_text="A milestone-progress id.")
    milestone_id = django_filters.CharFilter(
        field_name="milestone_progress__milestone_id", help_text="A milestone id of the plan, e.g. m1-2."
    )
    roadmap = django_filters.UUIDFilter(field_name="milestone_progress__deconstruction__roadmaps", distinct=True)
    activity_type = django_filters.ChoiceFilter(choices=ActivityType.choices)
    date = django_filters.DateFilter(field_name="practiced_on", help_text="Sessions practised on this day.")
    created_after = UTCIsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = UTCIsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = PracticeActivity
        fields = ["milestone", "milestone_id", "roadmap", "activity_type", "completed", "date", "created_after",
                  "created_before"]  # fmt: skip


class PracticeActivityViewSet(
    ExportMixin, OwnedQuerysetMixin, mixins.CreateModelMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet,
):  # fmt: skip
    """Practice sessions logged against a milestone: each is an attempt, its `reps` are
    completions, and reps × sets completions complete the milestone (which stays completed
    when more practice is logged). PATCH corrects a session and DELETE removes it; either
    recounts the milestone's progress."""

    key_scopes = scope_rules(read=("list", "retrieve", "export"), write=("create", "partial_update", "destroy"))

    queryset = PracticeActivity.objects.none()
    serializer_class = PracticeActivitySerializer
    filterset_class = PracticeActivityFilter
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def base_queryset(self):
        return PracticeActivity.objects.select_related("milestone_progress").order_by("-practiced_on", "-created_at")

    @extend_schema(
        responses={201: PracticeActivitySerializer, 400: OpenApiResponse(ERRORS, "Field errors.")},
        examples=[examples.PRACTICE],
    )
    def create(self, request, *args, **kwargs):
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer):
        fields = dict(serializer.validated_data)
        serializer.instance = practice_activity_log(progress=fields.pop("milestone_progress"), **fields)

    @extend_schema(
        request=PracticeActivityUpdateSerializer,
        responses={200: PracticeActivitySerializer, 400: OpenApiResponse(ERRORS, "Field errors.")},
        examples=[examples.PRACTICE_CORRECTION],
    )
    def partial_update(self, request, *args, **kwargs):
        given = PracticeActivityUpdateSerializer(data=request.data, partial=True)
        given.is_valid(raise_exception=True)
        activity = practice_activity_update(activity=self.get_object(), **given.validated_data)
        return Response(PracticeActivitySerializer(activity, context=self.get_serializer_context()).data)

    @extend_schema(responses={(200, "text/csv"): OpenApiTypes.STR})
    @action(
        detail=False,
        methods=["get"],
        pagination_class=None,
        renderer_classes=[PracticeCSVRenderer],
    )
    def export(self, request):
        """Your practice sessions as CSV, oldest first (the list's filters apply, e.g. ?roadmap=)."""
        rows = practice_export(self.filter_queryset(self.get_queryset()))
        return self.as_download(Response(PracticeExportSerializer(rows, many=True).data), "practice")

    @extend_schema(responses={204: None})
    def destroy(self, request, *args, **kwargs):
        """Deletes the session; the milestone's attempts, completions and status are recounted."""
        practice_activity_delete(activity=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)
