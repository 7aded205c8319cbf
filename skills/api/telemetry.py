"""Usage events (POST one or a batch, GET own) and feedback."""

from __future__ import annotations

import django_filters
from django.conf import settings
from django.db import connections
from django.db.models import BooleanField, Q
from django.db.models.expressions import RawSQL
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from accounts.scopes import scope_rules
from skillsite.filters import UTCIsoDateTimeFilter
from skillsite.pagination import CursorPagination
from skillsite.parsers import JSONParser
from skillsite.routers import replica_reads
from skillsite.serializers import StrictTypes

from ..ingestion.events import SKILL_ID_PATTERN
from ..ingestion.record import usage_events_record
from ..models import Feedback, Outcome, UsageEvent
from ..services.metrics import feedback_record
from ..services.registry import SKILL_ID_INVALID
from .common import SkillsAPIMixin
from .schemas import EVENT_BATCH_REQUEST


class UsageEventSerializer(serializers.ModelSerializer):
    skill_version = serializers.SlugRelatedField(
        slug_field="version", read_only=True, allow_null=True, help_text="Null when the skill had no version."
    )

    class Meta:
        model = UsageEvent
        exclude = ["id", "user", "payload_sha256"]


RECORD_RESULT = inline_serializer(
    "EventsRecorded",
    {
        "received": serializers.IntegerField(),
        "created": serializers.IntegerField(),
        "duplicates": serializers.IntegerField(help_text="Events already received (retries), stored once."),
        "held": serializers.IntegerField(
            help_text="Events naming a skill the registry does not hold, kept for staff to register or map "
            "(only operators' telemetry registers skills); they count once staff do."
        ),
    },
)


class UsageEventFilter(django_filters.FilterSet):
    skill = django_filters.CharFilter(field_name="skill_id")
    outcome = django_filters.ChoiceFilter(choices=Outcome.choices)
    session = django_filters.CharFilter(field_name="session_id")
    occurred_after = UTCIsoDateTimeFilter(field_name="occurred_at", lookup_expr="gte")
    occurred_before = UTCIsoDateTimeFilter(field_name="occurred_at", lookup_expr="lt")
    q = django_filters.CharFilter(method="search_workflow", label="Search workflow paths")

    class Meta:
        model = UsageEvent
        fields = ["skill", "outcome", "session", "occurred_after", "occurred_before", "q"]

    def search_workflow(self, queryset, name, value):
        return search_workflow_paths(queryset, value)


# Must match the expression of the GIN index in migration 0002, or the index is not used.
WORKFLOW_TSVECTOR = "to_tsvector('simple', translate(workflow_path, '/.:>_-', '      '))"


def search_workflow_paths(queryset, text: str):
    """Full-text search on PostgreSQL (uses the GIN index of migration 0002); every word as a substring elsewhere."""
    words = text.split()
    if not words:
        return queryset
    if connections[queryset.db].vendor == "postgresql":
        match = RawSQL(WORKFLOW_TSVECTOR + " @@ plainto_tsquery('simple', %s)", [text], output_field=BooleanField())
        return queryset.filter(match)
    condition = Q()
    for word in words:
        condition &= Q(workflow_path__icontains=word)
    return queryset.filter(condition)


class UsageEventPagination(CursorPagination):
    """Pages by position, not OFFSET, and never counts: an agent's log can hold millions of events."""

    ordering = ("-occurred_at", "-id")
    page_size = 50


class UsageEventViewSet(SkillsAPIMixin, mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """The usage log. POST one event or a batch; GET lists the caller's own events, newest first."""

    key_scopes = scope_rules(read=("list",), ingest=("create",))

    queryset = UsageEvent.objects.none()  # for the schema; get_queryset scopes to the caller
    serializer_class = UsageEventSerializer
    filterset_class = UsageEventFilter
    pagination_class = UsageEventPagination
    # Cursor pagination needs non-null ordering columns.
    ordering_fields = ["occurred_at", "received_at"]
    ordering = ("-occurred_at", "-id")
    throttle_scope = "ingest"
    parser_classes = [JSONParser]

    def get_queryset(self):
        return UsageEvent.objects.for_user(self.request.user).select_related("skill_version")

    def list(self, request, *args, **kwargs):
        with replica_reads():  # the replica when there is one (skillsite/routers.py)
            return super().list(request, *args, **kwargs)

    @extend_schema(
        request={"application/json": EVENT_BATCH_REQUEST},
        responses={
            201: RECORD_RESULT,
            200: OpenApiResponse(RECORD_RESULT, description="Every event had been received before (a retry)."),
            400: OpenApiResponse(description="Invalid items: [{index, field: [messages]}]; nothing written."),
            403: OpenApiResponse(
                description="An item names another user: that needs the ingest_for_any_user permission."
            ),
            409: OpenApiResponse(description="An event_id of yours was received before with another payload."),
            413: OpenApiResponse(
                description="Batch larger than EVENTS_MAX_BATCH, or state_snapshot / artifacts over "
                "EVENTS_MAX_JSON_FIELD_BYTES serialized (the items named)."
            ),
        },
        examples=[
            OpenApiExample(
                "One event",
                request_only=True,
                value={
                    "event_id": "3f0c9a4e-8f5b-4a1e-9d2b-0b1f6c7e2a10",
                    "skill_id": "pdf-extract",
                    "outcome": "success",
                    "session_id": "sess-42",
                    "latency_ms": 840,
                    "workflow_path": "load/parse/extract",
                    "tokens_used": 1200,
                    "tokens_saved": 300,
                    "cost_usd": "0.0042",
                    "state_snapshot": {"tier": "standard", "element": "water", "realm": "documents"},
                    "occurred_at": "2026-11-24T09:30:00Z",
                },
            )
        ],
    )
    def create(self, request, *args, **kwargs):
        # Refusals (400, 409, 413) are raised by ingestion and answered by the API's exception handler.
        result = usage_events_record(events=request.data, user=request.user, max_batch=settings.EVENTS_MAX_BATCH)
        body = {
            "received": result.received,
            "created": result.created,
            "duplicates": result.duplicates,
            "held": result.held,
        }
        stored = result.created or result.held
        return Response(body, status=status.HTTP_201_CREATED if stored else status.HTTP_200_OK)


class FeedbackSerializer(StrictTypes, serializers.ModelSerializer):
    # Feedback for a skill not registered yet registers it when an operator sends it (as events do).
    skill_id = serializers.RegexField(SKILL_ID_PATTERN, max_length=100, error_messages={"invalid": SKILL_ID_INVALID})
    rating = serializers.IntegerField(min_value=1, max_value=5, allow_null=True, required=False)
    tags = serializers.ListField(child=serializers.CharField(max_length=50), required=False, max_length=20)
    event_id = serializers.UUIDField(required=False, allow_null=True, write_only=True)
    event = serializers.SlugRelatedField(slug_field="event_id", read_only=True, allow_null=True)

    class Meta:
        model = Feedback
        fields = ["id", "skill_id", "rating", "tags", "notes", "event_id", "event", "created_at"]
        read_only_fields = ["id", "created_at"]


class FeedbackFilter(django_filters.FilterSet):
    skill = django_filters.CharFilter(field_name="skill_id")
    rating = django_filters.ChoiceFilter(choices=[(n, str(n)) for n in range(1, 6)])
    tag = django_filters.CharFilter(
        field_name="tags", lookup_expr="has_element", label="Feedback carrying this tag (exact, case-sensitive)"
    )

    class Meta:
        model = Feedback
        fields = ["skill", "rating", "tag"]


class FeedbackViewSet(SkillsAPIMixin, mixins.CreateModelMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Feedback on a skill (rating 1–5 or none, tags, notes, optionally about one of your events). A
    skill the registry has not seen is refused (400 naming skill_id), unless the caller may register
    skills (`skills.register_skills`): then it is registered, disabled, as operators' events do."""

    key_scopes = scope_rules(read=("list",), ingest=("create",))

    queryset = Feedback.objects.none()
    serializer_class = FeedbackSerializer
    filterset_class = FeedbackFilter
    throttle_scope = "ingest"

    def get_queryset(self):
        return Feedback.objects.filter(user=self.request.user).select_related("event").order_by("-created_at")

    def perform_create(self, serializer):
        serializer.instance = feedback_record(user=self.request.user, **serializer.validated_data)
