"""Analytics endpoints, served from the aggregates (never by scanning the log)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import generics, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.scopes import scope_rules
from skillsite.routers import replica_reads

from ..ingestion.fold import metrics_as_of
from ..selectors.registry import FREE_TEXT_HELP, effectiveness_rows, metrics_summary
from .common import SkillsAPIMixin


class EffectivenessSerializer(serializers.ModelSerializer):
    """The columns of seed 000's v_skill_effectiveness, plus the effectiveness score."""

    skill_id = serializers.CharField(source="skill.skill_id")
    display_name = serializers.CharField(source="skill.display_name")
    total_uses = serializers.IntegerField(source="total_invocations")
    success_count = serializers.IntegerField(source="completed_count")
    success_rate_pct = serializers.FloatField(source="completion_rate")
    avg_latency_ms = serializers.SerializerMethodField()
    first_use = serializers.DateTimeField(source="first_invoked")
    last_use = serializers.DateTimeField(source="last_invoked")

    class Meta:
        model = effectiveness_rows().model
        fields = [
            "skill_id",
            "display_name",
            "total_uses",
            "success_count",
            "success_rate_pct",
            "avg_latency_ms",
            "p50_ms",
            "p95_ms",
            "p99_ms",
            "avg_rating",
            "unique_users",
            "first_use",
            "last_use",
            "tokens_used_sum",
            "tokens_saved_sum",
            "cost_usd_sum",
            "effectiveness_score",
        ]

    def get_avg_latency_ms(self, metrics) -> int | None:
        return round(metrics.avg_duration_ms) if metrics.avg_duration_ms is not None else None


class EffectivenessView(SkillsAPIMixin, generics.ListAPIView):
    """Per-skill effectiveness; sort with ?ordering= (e.g. -effectiveness_score, total_invocations)."""

    key_scopes = scope_rules(read=("get",))

    serializer_class = EffectivenessSerializer
    filterset_fields = None
    ordering_fields = [
        "total_invocations",
        "completion_rate",
        "avg_duration_ms",
        "p95_ms",
        "avg_rating",
        "unique_users",
        "effectiveness_score",
        "last_invoked",
        "skill_id",
    ]
    ordering = ["-effectiveness_score", "skill_id"]

    def get_queryset(self):
        return effectiveness_rows()

    def get(self, request, *args, **kwargs):
        with replica_reads():  # the replica when there is one (skillsite/routers.py)
            return super().get(request, *args, **kwargs)


SUMMARY = inline_serializer(
    "MetricsSummary",
    {
        "total_skills": serializers.IntegerField(),
        "total_invocations": serializers.IntegerField(),
        "overall_completion_rate": serializers.FloatField(),
        "most_used_skill": serializers.CharField(allow_null=True),
        "most_used_count": serializers.IntegerField(),
        "avg_duration_ms": serializers.FloatField(allow_null=True),
        "top_error_types": serializers.ListField(child=serializers.DictField(), help_text=FREE_TEXT_HELP),
        "top_workflow_paths": serializers.ListField(child=serializers.DictField(), help_text=FREE_TEXT_HELP),
        "metrics_as_of": serializers.DateTimeField(
            help_text="The figures include every event received before this time (events are folded in shortly after)."
        ),
    },
)


class SummaryView(SkillsAPIMixin, APIView):
    """Seed 001's dashboard summary: totals, completion rate, most used skill, top errors and paths."""

    key_scopes = scope_rules(read=("get",))

    @extend_schema(responses=SUMMARY)
    def get(self, request):
        with replica_reads():  # the replica when there is one (skillsite/routers.py)
            return Response({**metrics_summary(staff=request.user.is_staff), "metrics_as_of": metrics_as_of()})
