"""Roadmaps: create from a goal or a deconstruction, list, change, delete, progress, export."""

from __future__ import annotations

import django_filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from accounts.scopes import scope_rules
from skillsite.api import validation_error_body

from .. import examples
from ..export_formats import ExportJSONRenderer, RoadmapCSVRenderer, RoadmapExportSerializer, RoadmapMarkdownRenderer
from ..models import Roadmap, SkillDeconstruction
from ..selectors.export import roadmap_export
from ..selectors.roadmaps import roadmap_progress, roadmaps_with_progress
from ..serializers.roadmaps import (
    GoalAlreadyStartedSerializer,
    ProgressSerializer,
    RoadmapCreatedSerializer,
    RoadmapDetailSerializer,
    RoadmapInputSerializer,
    RoadmapSerializer,
    RoadmapUpdateSerializer,
)
from ..services.roadmaps import (
    NOT_YOUR_DECONSTRUCTION,
    GoalAlreadyStarted,
    roadmap_create,
    roadmap_create_from_goal,
    roadmap_delete,
    roadmap_update,
)
from .common import ERRORS, ExportMixin, OwnedQuerysetMixin

EXPORT_FORMAT = OpenApiParameter(
    "format", str, enum=["json", "csv", "md"], description="json (the default; re-importable), csv or md."
)


class RoadmapFilter(django_filters.FilterSet):
    archived = django_filters.BooleanFilter(
        method="filter_archived", help_text="true: only archived roadmaps; false or absent: only active ones."
    )

    class Meta:
        model = Roadmap
        fields = ["archived"]

    def filter_archived(self, queryset, name, value):
        return queryset.archived() if value else queryset.active()


class RoadmapViewSet(ExportMixin, OwnedQuerysetMixin, viewsets.ModelViewSet):
    """The learner's roadmaps; the detail nests levels, milestones and each milestone's progress.
    The list shows active roadmaps (`?archived=true` the archived ones); PATCH renames,
    describes, archives or restores; DELETE removes the roadmap with its progress and practice
    (unless another roadmap of yours follows the same deconstruction)."""

    key_scopes = scope_rules(
        read=("list", "retrieve", "progress", "export"), write=("create", "update", "partial_update", "destroy")
    )

    queryset = Roadmap.objects.none()
    filterset_class = RoadmapFilter
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]

    def base_queryset(self):
        return roadmaps_with_progress(Roadmap.objects.order_by("-created_at"))

    def get_queryset(self):
        queryset = super().get_queryset()
        # The list hides archived roadmaps unless asked for them; a detail URL still finds one.
        if self.action == "list" and not self.request.query_params.get("archived"):
            queryset = queryset.active()
        return queryset

    def get_serializer_class(self):
        return RoadmapSerializer if self.action == "list" else RoadmapDetailSerializer

    @extend_schema(
        request=RoadmapInputSerializer,
        responses={
            201: RoadmapCreatedSerializer,
            404: OpenApiResponse(description="No deconstruction or catalog plan of yours has the id given."),
            409: OpenApiResponse(
                GoalAlreadyStartedSerializer, "A roadmap for this goal exists; send confirm: true to start another."
            ),
        },
        examples=[
            examples.FROM_A_GOAL,
            examples.FROM_A_CATALOG_ENTRY,
            examples.FROM_A_DECONSTRUCTION,
            examples.GOAL_ALREADY_STARTED,
        ],
    )
    def create(self, request, *args, **kwargs):
        given = RoadmapInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        fields = given.validated_data
        warnings: list[str] = []
        if "deconstruction" in fields:
            mine = SkillDeconstruction.objects.for_learner(request.user)
            deconstruction = mine.filter(pk=fields["deconstruction"]).first()
            if deconstruction is None:
                raise NotFound({"deconstruction": [NOT_YOUR_DECONSTRUCTION]})
            roadmap = roadmap_create(
                owner=request.user,
                title=fields.get("title") or deconstruction.skill_name,
                description=fields.get("description", ""),
                deconstruction=deconstruction,
            )
        else:
            try:
                roadmap, warnings = roadmap_create_from_goal(
                    owner=request.user,
                    user_query=fields["user_query"],
                    skill_type=fields.get("skill_type", ""),
                    title=fields.get("title", ""),
                    catalog_entry=fields.get("catalog_entry", ""),
                    confirm=fields["confirm"],
                )
            except GoalAlreadyStarted as already:
                body = {**validation_error_body(already.message_dict), "existing_roadmap": str(already.roadmap.pk)}
                return Response(body, status=status.HTTP_409_CONFLICT)
        roadmap = self.base_queryset().get(pk=roadmap.pk)
        roadmap.warnings = warnings
        return Response(RoadmapCreatedSerializer(roadmap).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=RoadmapUpdateSerializer, responses=RoadmapDetailSerializer)
    def update(self, request, *args, **kwargs):
        roadmap = self.get_object()
        given = RoadmapUpdateSerializer(data=request.data, partial=kwargs.get("partial", False))
        given.is_valid(raise_exception=True)
        roadmap_update(roadmap=roadmap, **given.validated_data)
        return Response(RoadmapDetailSerializer(self.base_queryset().get(pk=roadmap.pk)).data)

    @extend_schema(request=RoadmapUpdateSerializer, responses=RoadmapDetailSerializer)
    def partial_update(self, request, *args, **kwargs):
        return super().partial_update(request, *args, **kwargs)  # documented with the fields PATCH takes

    def perform_destroy(self, instance):
        roadmap_delete(roadmap=instance)

    @extend_schema(responses=ProgressSerializer, examples=[examples.PROGRESS])
    @action(detail=True, methods=["get"])
    def progress(self, request, pk=None):
        """Progress per level and overall, in percent and minutes."""
        return Response(roadmap_progress(self.get_object()))

    @extend_schema(
        parameters=[EXPORT_FORMAT],
        responses={
            (200, "application/json"): RoadmapExportSerializer,
            (200, "text/csv"): OpenApiTypes.STR,
            (200, "text/markdown"): OpenApiTypes.STR,
            400: OpenApiResponse(ERRORS, "An unknown format."),
        },
    )
    @action(
        detail=True,
        methods=["get"],
        renderer_classes=[ExportJSONRenderer, RoadmapCSVRenderer, RoadmapMarkdownRenderer],
    )
    def export(self, request, pk=None):
        """Your roadmap as a file: the plan with each milestone's status, lock, attempts,
        completions, sessions, minutes practised, notes and dates. JSON can be posted back to
        /api/deconstructions/ (the same plan); CSV has one row a milestone; Markdown is a checklist."""
        roadmap = self.get_object()
        return self.as_download(Response(RoadmapExportSerializer(roadmap_export(roadmap)).data), roadmap.title)
