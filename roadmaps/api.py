"""The roadmaps API: deconstructions, roadmaps, milestone progress, practice activities.

Every queryset is scoped to the caller (another learner's id is a 404); staff read all
but write only their own.
"""

from __future__ import annotations

import django_filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from skillsite.api import router, validation_error_body
from skillsite.filters import UTCIsoDateTimeFilter, single_value

from . import examples, services
from .catalog import DOMAINS, catalog
from .catalog.matching import closest_entries
from .export import download_name, practice_export, roadmap_export
from .export_formats import (
    ExportJSONRenderer,
    PracticeCSVRenderer,
    PracticeExportSerializer,
    RoadmapCSVRenderer,
    RoadmapExportSerializer,
    RoadmapMarkdownRenderer,
)
from .models import ActivityType, MilestoneProgress, PracticeActivity, Roadmap, SkillDeconstruction, SkillType
from .selectors import roadmap_progress, roadmaps_with_progress
from .serializers import (
    CatalogEntryDetailSerializer,
    CatalogEntrySerializer,
    CatalogQuerySerializer,
    DeconstructionCreatedSerializer,
    DeconstructionInputSerializer,
    DeconstructionSerializer,
    GoalAlreadyStartedSerializer,
    MilestoneNotesSerializer,
    MilestoneProgressLockSerializer,
    PracticeActivitySerializer,
    PracticeActivityUpdateSerializer,
    ProgressSerializer,
    RoadmapCreatedSerializer,
    RoadmapDetailSerializer,
    RoadmapInputSerializer,
    RoadmapSerializer,
    RoadmapUpdateSerializer,
)

READ_ACTIONS = {"list", "retrieve", "progress"}
ERRORS = OpenApiTypes.OBJECT  # {field or JSON path: [messages]}


TRANSITION_RESPONSES = {
    200: MilestoneProgressLockSerializer,
    400: OpenApiResponse(
        ERRORS, "A locked milestone: waiting_for names its prerequisites.", [examples.LOCKED_START]
    ),
    409: OpenApiResponse(ERRORS, "Not a legal transition from the current status.", [examples.ILLEGAL_MOVE]),
}


class OwnedQuerysetMixin:
    """Staff read everyone's objects; every write goes through the caller's own."""

    owner_lookup = "owner"

    def get_queryset(self):
        queryset = self.base_queryset()
        user = self.request.user
        if self.action in READ_ACTIONS and user.is_staff:
            return queryset
        return queryset.filter(**{self.owner_lookup: user})


class ExportMixin:
    """Exports are files: a Content-Disposition with a file name. Anything else these actions
    answer (401, 404, a bad ?format=, OPTIONS) keeps the API's JSON whatever format was asked for."""

    def as_download(self, response: Response, title: str) -> Response:
        response["Content-Disposition"] = (
            f'attachment; filename="{download_name(title, self.request.accepted_renderer.format)}"'
        )
        return response

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        not_a_file = isinstance(response, Response) and not response.has_header("Content-Disposition")
        if not_a_file and not isinstance(response.accepted_renderer, JSONRenderer):
            response.accepted_renderer, response.accepted_media_type = JSONRenderer(), JSONRenderer.media_type
        return response


EXPORT_FORMAT = OpenApiParameter(
    "format", str, enum=["json", "csv", "md"], description="json (the default; re-importable), csv or md."
)


class DeconstructionViewSet(
    OwnedQuerysetMixin, mixins.CreateModelMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):  # fmt: skip
    """A goal deconstructed into levels, milestones and do-this-now prompts."""

    queryset = SkillDeconstruction.objects.none()
    serializer_class = DeconstructionSerializer
    filterset_fields = ["skill_type"]

    def base_queryset(self):
        return SkillDeconstruction.objects.order_by("-created_at")

    @extend_schema(
        request=DeconstructionInputSerializer,
        responses={
            201: DeconstructionCreatedSerializer,
            400: OpenApiResponse(ERRORS, "Field errors; plan errors keyed by JSON path.", [examples.BAD_PLAN]),
        },
        examples=[examples.FROM_A_GOAL, examples.FROM_POSTED_DATA],
    )
    def create(self, request, *args, **kwargs):
        given = DeconstructionInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        fields = given.validated_data
        deconstruction, warnings = services.deconstruction_create(
            owner=request.user,
            user_query=fields["user_query"],
            skill_type=fields.get("skill_type", ""),
            skill_name=fields.get("skill_name", ""),
            data=fields.get("deconstruction_data"),
            catalog_entry=fields.get("catalog_entry", ""),
        )
        deconstruction.warnings = warnings
        return Response(DeconstructionCreatedSerializer(deconstruction).data, status=status.HTTP_201_CREATED)


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
            deconstruction = SkillDeconstruction.objects.filter(pk=fields["deconstruction"], owner=request.user).first()
            if deconstruction is None:
                raise NotFound({"deconstruction": [services.NOT_YOUR_DECONSTRUCTION]})
            roadmap = services.roadmap_create(
                owner=request.user,
                title=fields.get("title") or deconstruction.skill_name,
                description=fields.get("description", ""),
                deconstruction=deconstruction,
            )
        else:
            try:
                roadmap, warnings = services.roadmap_create_from_goal(
                    owner=request.user,
                    user_query=fields["user_query"],
                    skill_type=fields.get("skill_type", ""),
                    title=fields.get("title", ""),
                    catalog_entry=fields.get("catalog_entry", ""),
                    confirm=fields["confirm"],
                )
            except services.GoalAlreadyStarted as already:
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
        services.roadmap_update(roadmap=roadmap, **given.validated_data)
        return Response(RoadmapDetailSerializer(self.base_queryset().get(pk=roadmap.pk)).data)

    def perform_destroy(self, instance):
        services.roadmap_delete(roadmap=instance)

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

    queryset = MilestoneProgress.objects.none()
    serializer_class = MilestoneProgressLockSerializer
    owner_lookup = "deconstruction__owner"
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
        progress = services.milestone_notes_update(progress=self.get_object(), notes=notes)
        return Response(MilestoneProgressLockSerializer(progress).data)

    def _transition(self, service) -> Response:
        progress = service(progress=self.get_object())
        return Response(MilestoneProgressLockSerializer(progress).data)

    @extend_schema(request=None, responses=TRANSITION_RESPONSES)
    @action(detail=True, methods=["post"])
    def start(self, request, pk=None):
        """Not started or failed → in progress (the start time is kept on a restart); a locked
        milestone → 400 naming the prerequisites it waits for."""
        return self._transition(services.milestone_start)

    @extend_schema(request=None, responses=TRANSITION_RESPONSES)
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        """In progress → completed."""
        return self._transition(services.milestone_complete)

    @extend_schema(request=None, responses=TRANSITION_RESPONSES)
    @action(detail=True, methods=["post"])
    def fail(self, request, pk=None):
        """In progress → failed; start again when ready."""
        return self._transition(services.milestone_fail)

    @extend_schema(request=None, responses=TRANSITION_RESPONSES)
    @action(detail=True, methods=["post"])
    def reset(self, request, pk=None):
        """Back to not started: timestamps and practice counters cleared (the activities stay)."""
        return self._transition(services.milestone_reset)


class PracticeActivityFilter(django_filters.FilterSet):
    milestone = django_filters.UUIDFilter(field_name="milestone_progress", help_text="A milestone-progress id.")
    milestone_id = django_filters.CharFilter(
        field_name="milestone_progress__milestone_id", help_text="A milestone id of the plan, e.g. m1-2."
    )
    roadmap = django_filters.UUIDFilter(field_name="milestone_progress__deconstruction__roadmaps", distinct=True)
    activity_type = django_filters.ChoiceFilter(choices=ActivityType.choices)
    date = django_filters.DateFilter(field_name="created_at", lookup_expr="date")
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

    queryset = PracticeActivity.objects.none()
    serializer_class = PracticeActivitySerializer
    filterset_class = PracticeActivityFilter
    owner_lookup = "milestone_progress__deconstruction__owner"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def base_queryset(self):
        return PracticeActivity.objects.select_related("milestone_progress").order_by("-created_at")

    @extend_schema(
        responses={201: PracticeActivitySerializer, 400: OpenApiResponse(ERRORS, "Field errors.")},
        examples=[examples.PRACTICE],
    )
    def create(self, request, *args, **kwargs):
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer):
        fields = dict(serializer.validated_data)
        serializer.instance = services.practice_activity_log(progress=fields.pop("milestone_progress"), **fields)

    @extend_schema(
        request=PracticeActivityUpdateSerializer,
        responses={200: PracticeActivitySerializer, 400: OpenApiResponse(ERRORS, "Field errors.")},
        examples=[examples.PRACTICE_CORRECTION],
    )
    def partial_update(self, request, *args, **kwargs):
        given = PracticeActivityUpdateSerializer(data=request.data, partial=True)
        given.is_valid(raise_exception=True)
        activity = services.practice_activity_update(activity=self.get_object(), **given.validated_data)
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
        services.practice_activity_delete(activity=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class PlanCatalogViewSet(viewsets.GenericViewSet):
    """The catalog of expert plans shipped with the app, read from files cached in the process:
    no database query. Any signed-in user may read it."""

    serializer_class = CatalogEntrySerializer
    filter_backends: list = []
    lookup_value_regex = r"[a-z0-9-]+"

    @extend_schema(
        parameters=[
            OpenApiParameter("domain", str, enum=list(DOMAINS), description="Only this domain."),
            OpenApiParameter("kind", str, enum=list(SkillType.values), description="Only this kind."),
            OpenApiParameter("q", str, description="A goal: entries ranked by how close they are to it."),
        ]
    )
    def list(self, request):
        """Every entry (by domain, then title), or ranked for a goal with `?q=`."""
        params = request.query_params
        given = CatalogQuerySerializer(data={name: single_value(params, name) for name in ("domain", "kind", "q")
                                             if name in params})  # fmt: skip
        given.is_valid(raise_exception=True)
        query = given.validated_data
        entries = sorted(catalog().values(), key=lambda e: (e.domain, e.title))
        if query.get("q"):
            entries = [match.entry for match in closest_entries(query["q"], limit=len(entries))]
        for field in ("domain", "kind"):
            if field in query:
                entries = [e for e in entries if getattr(e, field) == query[field]]
        page = self.paginate_queryset(entries)
        return self.get_paginated_response(CatalogEntrySerializer(page, many=True).data)

    @extend_schema(responses={200: CatalogEntryDetailSerializer, 404: OpenApiResponse(ERRORS, "No such entry.")})
    def retrieve(self, request, pk=None):
        """One entry with its full plan."""
        entry = catalog().get(pk)
        if entry is None:
            raise NotFound()
        return Response(CatalogEntryDetailSerializer(entry).data)


router.register("plan-catalog", PlanCatalogViewSet, basename="plan-catalog")
router.register("deconstructions", DeconstructionViewSet, basename="deconstruction")
router.register("roadmaps", RoadmapViewSet, basename="roadmap")
router.register("milestone-progress", MilestoneProgressViewSet, basename="milestone-progress")
router.register("practice-activities", PracticeActivityViewSet, basename="practice-activity")
