"""The roadmaps API: deconstructions, roadmaps, milestone progress, practice activities.

Every queryset is scoped to the caller (another learner's id is a 404); staff read all
but write only their own.
"""

from __future__ import annotations

import django_filters
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from skillsite.api import router
from skillsite.filters import UTCIsoDateTimeFilter

from . import services
from .models import ActivityType, MilestoneProgress, PracticeActivity, Roadmap, SkillDeconstruction
from .selectors import roadmap_progress, roadmaps_with_progress
from .serializers import (
    DeconstructionCreatedSerializer,
    DeconstructionInputSerializer,
    DeconstructionSerializer,
    MilestoneProgressSerializer,
    PracticeActivitySerializer,
    ProgressSerializer,
    RoadmapDetailSerializer,
    RoadmapInputSerializer,
    RoadmapSerializer,
    RoadmapUpdateSerializer,
)

READ_ACTIONS = {"list", "retrieve", "progress"}
GOAL_EXAMPLE = OpenApiExample(
    "From a goal", request_only=True, value={"user_query": "learn to juggle three balls", "skill_type": "physical"}
)


class OwnedQuerysetMixin:
    """Staff read everyone's objects; every write goes through the caller's own."""

    owner_lookup = "owner"

    def get_queryset(self):
        queryset = self.base_queryset()
        user = self.request.user
        if self.action in READ_ACTIONS and user.is_staff:
            return queryset
        return queryset.filter(**{self.owner_lookup: user})


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
        responses={201: DeconstructionCreatedSerializer},
        examples=[GOAL_EXAMPLE],
    )
    def create(self, request, *args, **kwargs):
        given = DeconstructionInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        fields = given.validated_data
        deconstruction, warnings = services.deconstruction_create(
            owner=request.user,
            user_query=fields["user_query"],
            skill_type=fields["skill_type"],
            skill_name=fields.get("skill_name", ""),
            data=fields.get("deconstruction_data"),
        )
        deconstruction.warnings = warnings
        return Response(DeconstructionCreatedSerializer(deconstruction).data, status=status.HTTP_201_CREATED)


class RoadmapViewSet(OwnedQuerysetMixin, viewsets.ModelViewSet):
    """The learner's roadmaps; the detail nests levels, milestones and each milestone's progress."""

    queryset = Roadmap.objects.none()
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]

    def base_queryset(self):
        return roadmaps_with_progress(Roadmap.objects.order_by("-created_at"))

    def get_serializer_class(self):
        return RoadmapSerializer if self.action == "list" else RoadmapDetailSerializer

    @extend_schema(request=RoadmapInputSerializer, responses={201: RoadmapDetailSerializer}, examples=[GOAL_EXAMPLE])
    def create(self, request, *args, **kwargs):
        given = RoadmapInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        fields = given.validated_data
        if "deconstruction" in fields:
            deconstruction = SkillDeconstruction.objects.filter(pk=fields["deconstruction"], owner=request.user).first()
            if deconstruction is None:
                return Response({"deconstruction": [services.NOT_YOUR_DECONSTRUCTION]}, status=400)
            roadmap = services.roadmap_create(
                owner=request.user,
                title=fields.get("title") or deconstruction.skill_name,
                description=fields.get("description", ""),
                deconstruction=deconstruction,
            )
        else:
            roadmap, _warnings = services.roadmap_create_from_goal(
                owner=request.user,
                user_query=fields["user_query"],
                skill_type=fields["skill_type"],
                title=fields.get("title", ""),
            )
        roadmap = self.base_queryset().get(pk=roadmap.pk)
        return Response(RoadmapDetailSerializer(roadmap).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=RoadmapUpdateSerializer, responses=RoadmapDetailSerializer)
    def update(self, request, *args, **kwargs):
        roadmap = self.get_object()
        given = RoadmapUpdateSerializer(data=request.data, partial=kwargs.get("partial", False))
        given.is_valid(raise_exception=True)
        services.roadmap_update(roadmap=roadmap, **given.validated_data)
        return Response(RoadmapDetailSerializer(self.base_queryset().get(pk=roadmap.pk)).data)

    @extend_schema(responses=ProgressSerializer)
    @action(detail=True, methods=["get"])
    def progress(self, request, pk=None):
        """Progress per level and overall, in percent and minutes."""
        return Response(roadmap_progress(self.get_object()))


class MilestoneProgressViewSet(OwnedQuerysetMixin, viewsets.ReadOnlyModelViewSet):
    """Progress of one milestone; start / complete / fail / reset follow the legal transitions."""

    queryset = MilestoneProgress.objects.none()
    serializer_class = MilestoneProgressSerializer
    owner_lookup = "deconstruction__owner"
    filterset_fields = ["status", "deconstruction"]

    def base_queryset(self):
        return MilestoneProgress.objects.select_related("deconstruction").order_by("created_at", "id")

    def _transition(self, service) -> Response:
        progress = service(progress=self.get_object())
        return Response(MilestoneProgressSerializer(progress).data)

    @extend_schema(request=None, responses=MilestoneProgressSerializer)
    @action(detail=True, methods=["post"])
    def start(self, request, pk=None):
        return self._transition(services.milestone_start)

    @extend_schema(request=None, responses=MilestoneProgressSerializer)
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        return self._transition(services.milestone_complete)

    @extend_schema(request=None, responses=MilestoneProgressSerializer)
    @action(detail=True, methods=["post"])
    def fail(self, request, pk=None):
        return self._transition(services.milestone_fail)

    @extend_schema(request=None, responses=MilestoneProgressSerializer)
    @action(detail=True, methods=["post"])
    def reset(self, request, pk=None):
        return self._transition(services.milestone_reset)


class PracticeActivityFilter(django_filters.FilterSet):
    milestone = django_filters.UUIDFilter(field_name="milestone_progress")
    activity_type = django_filters.ChoiceFilter(choices=ActivityType.choices)
    date = django_filters.DateFilter(field_name="created_at", lookup_expr="date")
    created_after = UTCIsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = UTCIsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = PracticeActivity
        fields = ["milestone", "activity_type", "date", "created_after", "created_before"]


class PracticeActivityViewSet(
    OwnedQuerysetMixin, mixins.CreateModelMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):  # fmt: skip
    """Practice logged against a milestone: counts attempts and completions, and completes the
    milestone once reps × sets completions are reached."""

    queryset = PracticeActivity.objects.none()
    serializer_class = PracticeActivitySerializer
    filterset_class = PracticeActivityFilter
    owner_lookup = "milestone_progress__deconstruction__owner"

    def base_queryset(self):
        return PracticeActivity.objects.order_by("-created_at")

    @extend_schema(
        examples=[
            OpenApiExample(
                "A completed set",
                request_only=True,
                value={
                    "milestone_progress": "0b8f3c52-6f0e-4d7c-9a4e-2f1d5e6a7b8c",
                    "activity_type": "physical_practice",
                    "title": "Three-ball cascade, set 1",
                    "completed": True,
                    "completion_time": 10,
                    "difficulty_rating": 3,
                },
            )
        ]
    )
    def create(self, request, *args, **kwargs):
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer):
        fields = dict(serializer.validated_data)
        serializer.instance = services.practice_activity_log(progress=fields.pop("milestone_progress"), **fields)


router.register("deconstructions", DeconstructionViewSet, basename="deconstruction")
router.register("roadmaps", RoadmapViewSet, basename="roadmap")
router.register("milestone-progress", MilestoneProgressViewSet, basename="milestone-progress")
router.register("practice-activities", PracticeActivityViewSet, basename="practice-activity")
