"""Registry endpoints: skills with their current version and metrics, versions, own unlocks."""

from datetime import datetime

import django_filters
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers, viewsets
from rest_framework.decorators import action

from skills.ingestion import metrics_as_of
from skills.models import Skill, SkillMetrics, SkillUnlock, SkillVersion, Tier, VersionRegression
from skills.selectors import skill_detail, skills_with_current_version

from .common import SkillsAPIMixin


class SkillVersionSerializer(serializers.ModelSerializer):
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = SkillVersion
        fields = ["version", "is_current", "sha256", "changelog", "content", "created_at", "created_by"]


class SkillMetricsSerializer(serializers.ModelSerializer):
    class Meta:
        model = SkillMetrics
        exclude = ["skill", "latency_sketch", "rating_sum"]


class SkillSerializer(serializers.ModelSerializer):
    current_version = serializers.SerializerMethodField()

    class Meta:
        model = Skill
        fields = [
            "skill_id",
            "display_name",
            "description",
            "enabled",
            "tier",
            "category",
            "trust_level",
            "meta",
            "sha256",
            "current_version",
            "created_at",
            "updated_at",
        ]

    def get_current_version(self, skill: Skill) -> str | None:
        # Filled by the selector's prefetch; no query here.
        current = getattr(skill, "current_versions", [])
        return current[0].version if current else None


class RegressionSerializer(serializers.ModelSerializer):
    """A version regression: the current version measures worse than the baseline (see
    skills/services/regressions.py); each measure with both versions' values, intervals and p-value."""

    baseline_version = serializers.CharField(source="baseline_version.version")
    current_version = serializers.CharField(source="current_version.version")

    class Meta:
        model = VersionRegression
        fields = ["baseline_version", "current_version", "detected_at", "updated_at", "measures"]


class SkillDetailSerializer(SkillSerializer):
    current_version = serializers.SerializerMethodField()
    metrics = serializers.SerializerMethodField()
    regression = serializers.SerializerMethodField(
        help_text="Set while the current version measures worse than the version before it; null otherwise."
    )
    metrics_as_of = serializers.SerializerMethodField(
        help_text="The metrics include every event received before this time (events are folded in shortly after)."
    )

    class Meta(SkillSerializer.Meta):
        fields = [*SkillSerializer.Meta.fields, "metrics", "metrics_as_of", "regression"]

    def get_metrics_as_of(self, skill: Skill) -> datetime:
        return self.context["metrics_as_of"]  # read once by the view

    @extend_schema_field(SkillVersionSerializer(allow_null=True))
    def get_current_version(self, skill: Skill) -> dict | None:
        current = getattr(skill, "current_versions", [])
        return SkillVersionSerializer(current[0]).data if current else None

    @extend_schema_field(RegressionSerializer(allow_null=True))
    def get_regression(self, skill: Skill) -> dict | None:
        active = getattr(skill, "active_regressions", [])  # prefetched by the selector
        return RegressionSerializer(active[0]).data if active else None

    @extend_schema_field(SkillMetricsSerializer(allow_null=True))
    def get_metrics(self, skill: Skill) -> dict | None:
        try:
            metrics = skill.metrics  # select_related by the selector
        except SkillMetrics.DoesNotExist:
            return None
        return SkillMetricsSerializer(metrics).data


class SkillFilter(django_filters.FilterSet):
    tier = django_filters.ChoiceFilter(choices=Tier.choices)
    category = django_filters.CharFilter()
    enabled = django_filters.BooleanFilter()

    class Meta:
        model = Skill
        fields = ["tier", "category", "enabled"]


class SkillViewSet(SkillsAPIMixin, viewsets.ReadOnlyModelViewSet):
    """The skill registry. Detail includes the current version and the metrics."""

    filterset_class = SkillFilter
    lookup_field = "skill_id"
    lookup_value_regex = r"[-a-zA-Z0-9_]+"
    ordering_fields = ["skill_id", "trust_level", "updated_at"]

    def get_queryset(self):
        if self.action == "retrieve":
            return skill_detail()
        return skills_with_current_version()

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if self.action == "retrieve":
            context["metrics_as_of"] = metrics_as_of()
        return context

    def get_serializer_class(self):
        if self.action == "retrieve":
            return SkillDetailSerializer
        if self.action == "versions":
            return SkillVersionSerializer
        return SkillSerializer

    @action(detail=True, methods=["get"])
    def versions(self, request, skill_id=None):
        """Every version of the skill, newest first."""
        skill = self.get_object()
        queryset = SkillVersion.objects.filter(skill=skill).select_related("created_by").order_by("-created_at", "-id")
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(SkillVersionSerializer(page, many=True).data)


class SkillUnlockSerializer(serializers.ModelSerializer):
    class Meta:
        model = SkillUnlock
        fields = ["skill", "unlocked", "unlocked_at", "unlock_reason"]


class SkillUnlockViewSet(SkillsAPIMixin, viewsets.ReadOnlyModelViewSet):
    """The caller's own unlocks (foundational skills need none: they are always unlocked)."""

    queryset = SkillUnlock.objects.none()  # for the schema; get_queryset scopes to the caller
    serializer_class = SkillUnlockSerializer
    filterset_fields = ["unlocked", "skill"]

    def get_queryset(self):
        return SkillUnlock.objects.filter(user=self.request.user).order_by("skill_id")
