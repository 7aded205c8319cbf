"""Registry endpoints: skills with their current version and metrics, versions, own unlocks."""

from datetime import datetime

import django_filters
from django.db.models import BooleanField, Case, F, FilteredRelation, Q, Value, When
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.scopes import scope_rules

from ..ingestion.fold import metrics_as_of
from ..models import METRICS, Kind, Skill, SkillMetrics, SkillVersion, Tier, VersionRegression, measures_of
from ..selectors.registry import FREE_TEXT_HELP, free_text_counts, skill_detail, skills_with_current_version
from ..selectors.skill_costs import NO_COST, skill_costs
from ..selectors.skill_health import Health, context_cost, percentiles_reliable, skills_health, with_health
from ..services.registry import may_read_content
from .agents import AgentSkillActions
from .common import SkillsAPIMixin
from .versions import VersionActions


class SkillVersionSerializer(serializers.ModelSerializer):
    """A version; its `content` only for a caller who may read it (the view decides once, in the
    context's `content_visible`), null otherwise."""

    held = serializers.BooleanField(help_text="High findings not acknowledged: it cannot become current.")
    created_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True, help_text="Null for versions synced from a folder."
    )
    content = serializers.CharField(
        allow_null=True, help_text="The SKILL.md; null unless you may load the skill (or are staff)."
    )

    class Meta:
        model = SkillVersion
        fields = ["version", "is_current", "held", "high_findings", "sha256", "changelog", "content", "created_at",
                  "created_by"]  # fmt: skip

    def to_representation(self, version: SkillVersion) -> dict:
        data = super().to_representation(version)
        if not self.context.get("content_visible", False):
            data["content"] = None
        return data


# Counters of what events say in their own words (workflow paths, error types, follow-up actions):
# one learner's text must not reach another (issue 24), so others read only the values enough
# distinct users sent (free_text_counts).
FREE_TEXT_COLUMNS = tuple(m.columns[METRICS] for m in measures_of(METRICS, Kind.COUNTER))


@extend_schema_field({"type": "object", "additionalProperties": {"type": "integer"}})
class FreeTextCountsField(serializers.Field):
    """A stored free-text counter as {value: count}, as the caller may read it (the context's `staff`)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(read_only=True, help_text=FREE_TEXT_HELP, **kwargs)

    def to_representation(self, stored: dict) -> dict[str, int]:
        return free_text_counts(stored, staff=self.context.get("staff", False))


class SkillMetricsSerializer(serializers.ModelSerializer):
    """A skill's metrics; of its free-text counters, every value kept for staff (the context's
    `staff`), the values enough distinct users sent for anyone else."""

    percentiles_reliable = serializers.SerializerMethodField(
        help_text="False when p50 / p95 / p99 rest on fewer than SKILL_PERCENTILE_MIN_SAMPLES latencies "
        "(`duration_count`): read them as rough."
    )

    class Meta:
        model = SkillMetrics
        exclude = ["skill", *(m.columns[METRICS] for m in measures_of(METRICS) if not m.public)]

    def build_field(self, field_name, info, model_class, nested_depth):
        if field_name in FREE_TEXT_COLUMNS:
            return FreeTextCountsField, {}
        return super().build_field(field_name, info, model_class, nested_depth)

    def get_percentiles_reliable(self, metrics: SkillMetrics) -> bool:
        return percentiles_reliable(metrics)


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


class HealthConditionSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Health.choices)
    reason = serializers.CharField()


class SkillHealthSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Health.choices, help_text="The first of `conditions`.")
    reason = serializers.CharField()
    conditions = HealthConditionSerializer(many=True, help_text="Every condition that applies, worst first.")
    recent_uses = serializers.IntegerField(help_text="Completed attempts counted for the success rate.")
    recent_success_rate = serializers.FloatField(allow_null=True, help_text="Percent.")
    sessions = serializers.IntegerField(help_text="Sessions of the window that loaded the skill.")
    misfired_sessions = serializers.IntegerField(help_text="Of those, sessions where it never succeeded.")


class SkillCostSerializer(serializers.Serializer):
    cost_usd = serializers.DecimalField(max_digits=18, decimal_places=6, help_text="Attributed model cost, USD.")
    tokens = serializers.IntegerField(help_text="Attributed input, output and cache-creation tokens.")
    uses = serializers.IntegerField(help_text="Uses in prompts that reported model requests.")
    cost_per_use = serializers.DecimalField(max_digits=18, decimal_places=6, allow_null=True)
    cost_per_success = serializers.DecimalField(max_digits=18, decimal_places=6, allow_null=True)


class ContextCostSerializer(serializers.Serializer):
    listing_tokens = serializers.IntegerField(help_text="Name and description, in every session it is available.")
    body_tokens = serializers.IntegerField(allow_null=True, help_text="The SKILL.md, when loaded.")


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
    health = serializers.SerializerMethodField(help_text="From the roll-ups; see the README's Skill health.")
    context_cost = serializers.SerializerMethodField(help_text="Estimated tokens: four characters a token.")
    regression = serializers.SerializerMethodField(
        help_text="Set while the current version measures worse than the version before it; null otherwise."
    )
    metrics_as_of = serializers.SerializerMethodField(
        help_text="The metrics include every event received before this time (events are folded in shortly after)."
    )
    cost = serializers.SerializerMethodField(
        help_text="Claude Code's model requests attributed to the skill's uses of the last SKILL_HEALTH_WINDOW_DAYS "
        "(the README's rule: a request is shared among the skill uses active in its prompt)."
    )

    class Meta(SkillSerializer.Meta):
        fields = [
            *SkillSerializer.Meta.fields,
            "metrics",
            "metrics_as_of",
            "health",
            "context_cost",
            "cost",
            "regression",
        ]

    @extend_schema_field(SkillCostSerializer)
    def get_cost(self, skill: Skill) -> dict:
        cost = self.context["cost"]  # computed once by the view
        fields = ("cost_usd", "tokens", "uses", "cost_per_use", "cost_per_success")
        return SkillCostSerializer({name: getattr(cost, name) for name in fields}).data

    @extend_schema_field(SkillHealthSerializer)
    def get_health(self, skill: Skill) -> dict:
        return SkillHealthSerializer(self.context["health"]).data  # computed once by the view

    @extend_schema_field(ContextCostSerializer)
    def get_context_cost(self, skill: Skill) -> dict:
        return context_cost(skill)

    def get_metrics_as_of(self, skill: Skill) -> datetime:
        return self.context["metrics_as_of"]  # read once by the view

    @extend_schema_field(SkillVersionSerializer(allow_null=True))
    def get_current_version(self, skill: Skill) -> dict | None:
        current = getattr(skill, "current_versions", [])
        return SkillVersionSerializer(current[0], context=self.context).data if current else None

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
        return SkillMetricsSerializer(metrics, context=self.context).data


class SkillFilter(django_filters.FilterSet):
    tier = django_filters.ChoiceFilter(choices=Tier.choices)
    category = django_filters.CharFilter()
    enabled = django_filters.BooleanFilter()
    health = django_filters.ChoiceFilter(choices=Health.choices, method="filter_health")

    class Meta:
        model = Skill
        fields = ["tier", "category", "enabled", "health"]

    def filter_health(self, queryset, name, value):
        return with_health(queryset).filter(health_status=value)


class SkillViewSet(SkillsAPIMixin, AgentSkillActions, VersionActions, viewsets.ReadOnlyModelViewSet):
    """The skill registry. Detail includes the current version and the metrics."""

    key_scopes = scope_rules(
        read=("list", "retrieve", "versions", "version", "compare"),
        pull=("available", "access", "content", "bundle"),
        write=("acknowledge",),
    )

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

    def retrieve(self, request, *args, **kwargs):
        skill = self.get_object()
        context = {
            **self.get_serializer_context(),
            "health": skills_health([skill])[skill.skill_id],
            "content_visible": may_read_content(request.user, skill),
            "staff": request.user.is_staff,
            "cost": skill_costs([skill.skill_id]).get(skill.skill_id, NO_COST),
        }
        return Response(SkillDetailSerializer(skill, context=context).data)

    def get_serializer_class(self):
        if self.action == "retrieve":
            return SkillDetailSerializer
        if self.action == "versions":
            return SkillVersionSerializer
        return SkillSerializer

    @extend_schema(responses=SkillVersionSerializer(many=True))
    @action(detail=True, methods=["get"], filter_backends=[])
    def versions(self, request, skill_id=None):
        """Every version of the skill, newest first."""
        skill = self.get_object()
        queryset = SkillVersion.objects.filter(skill=skill).select_related("created_by").order_by("-created_at", "-id")
        page = self.paginate_queryset(queryset)
        context = {**self.get_serializer_context(), "content_visible": may_read_content(request.user, skill)}
        return self.get_paginated_response(SkillVersionSerializer(page, many=True, context=context).data)


class SkillUnlockSerializer(serializers.ModelSerializer):
    skill = serializers.CharField(source="skill_id")
    unlocked = serializers.BooleanField()
    unlocked_at = serializers.DateTimeField(allow_null=True)
    unlock_reason = serializers.CharField(allow_null=True)
    foundational = serializers.BooleanField(help_text="Foundational skills are unlocked for everyone, without a grant.")

    class Meta:
        model = Skill
        fields = ["skill", "unlocked", "unlocked_at", "unlock_reason", "foundational"]


class SkillUnlockFilter(django_filters.FilterSet):
    skill = django_filters.CharFilter(field_name="skill_id")
    unlocked = django_filters.BooleanFilter()

    class Meta:
        model = Skill
        fields = ["skill", "unlocked"]


class SkillUnlockViewSet(SkillsAPIMixin, viewsets.ReadOnlyModelViewSet):
    """The caller's unlocks: every skill granted (or revoked) for the caller, and the foundational
    skills, which are unlocked for everyone without a grant."""

    key_scopes = scope_rules(read=("list", "retrieve"))

    queryset = Skill.objects.none()  # for the schema; get_queryset scopes to the caller
    serializer_class = SkillUnlockSerializer
    filterset_class = SkillUnlockFilter
    lookup_field = "skill_id"
    lookup_value_regex = r"[-a-zA-Z0-9_]+"

    def get_queryset(self):
        foundational = Q(tier=Tier.FOUNDATIONAL)
        return (
            Skill.objects.annotate(mine=FilteredRelation("unlocks", condition=Q(unlocks__user=self.request.user)))
            .filter(foundational | Q(mine__isnull=False))
            .annotate(
                foundational=Case(
                    When(foundational, then=Value(True)), default=Value(False), output_field=BooleanField()
                ),
                unlocked=Case(
                    When(foundational | Q(mine__unlocked=True), then=Value(True)),
                    default=Value(False),
                    output_field=BooleanField(),
                ),
                unlocked_at=F("mine__unlocked_at"),
                unlock_reason=F("mine__unlock_reason"),
            )
            .order_by("skill_id")
        )
