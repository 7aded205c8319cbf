"""Experiments for REST clients: staff create, start, promote and stop them; anyone who may load
the skill reads them and their results (read-only). Every write calls the services."""

from __future__ import annotations

import django_filters
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAdminUser, IsAuthenticated
from rest_framework.response import Response

from accounts.scopes import scope_rules

from ..models import Experiment, ExperimentArm, Metric, Skill, SkillVersion
from ..selectors.experiment_results import experiment_results
from ..selectors.experiments import with_arms
from ..services.experiments import experiment_create, experiment_promote, experiment_start, experiment_stop
from .common import SkillsAPIMixin

VERSION_NOT_FOUND = "{skill} has no version {version}."


class ArmSerializer(serializers.ModelSerializer):
    label = serializers.CharField(read_only=True)
    version = serializers.CharField(source="version.version")
    share_percent = serializers.SerializerMethodField()

    class Meta:
        model = ExperimentArm
        fields = ["id", "position", "label", "version", "share", "share_percent"]

    def get_share_percent(self, arm: ExperimentArm) -> float:
        return arm.share / 100


class ExperimentSerializer(serializers.ModelSerializer):
    skill = serializers.CharField(source="skill_id")
    arms = ArmSerializer(many=True)
    guardrails = serializers.SerializerMethodField()
    decided_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Experiment
        fields = ["id", "skill", "name", "status", "primary_metric", "min_effect", "alpha", "power", "baseline",
                  "baseline_sd", "planned_uses", "exclude_staff", "arms", "guardrails", "created_at", "started_at",
                  "ended_at", "decided_by", "decision"]  # fmt: skip

    def get_guardrails(self, experiment: Experiment) -> dict[str, float]:
        return {guard.metric: guard.worst_change for guard in experiment.guardrails.all()}


class TreatmentIn(serializers.Serializer):
    version = serializers.CharField(help_text="A version of the skill other than the current one.")
    share = serializers.IntegerField(min_value=1, max_value=9_999, help_text="Basis points: 1,000 is 10 %.")


class ExperimentIn(serializers.Serializer):
    skill = serializers.SlugRelatedField(slug_field="skill_id", queryset=Skill.objects.all())
    name = serializers.CharField(max_length=200)
    treatments = TreatmentIn(many=True, allow_empty=False)
    primary_metric = serializers.ChoiceField(choices=Metric.choices, default=Metric.SUCCESS_RATE)
    min_effect = serializers.FloatField(help_text="The smallest change worth detecting, a fraction (0.1 = 10 %).")
    alpha = serializers.FloatField(default=0.05)
    power = serializers.FloatField(default=0.8)
    guardrails = serializers.DictField(child=serializers.FloatField(), required=False, default=dict)
    exclude_staff = serializers.BooleanField(default=True)
    excluded_users = serializers.PrimaryKeyRelatedField(
        many=True, queryset=get_user_model().objects.all(), required=False, default=list
    )

    def validate_guardrails(self, guardrails: dict) -> dict:
        unknown = sorted(set(guardrails) - set(Metric.values))
        if unknown:
            raise serializers.ValidationError(f"not a metric: {', '.join(unknown)} (one of {', '.join(Metric.values)})")
        return guardrails

    def validate(self, data: dict) -> dict:
        skill = data["skill"]
        versions = {v.version: v for v in SkillVersion.objects.filter(skill=skill)}
        missing = [t["version"] for t in data["treatments"] if t["version"] not in versions]
        if missing:
            message = VERSION_NOT_FOUND.format(skill=skill.skill_id, version=missing[0])
            raise serializers.ValidationError({"treatments": [message]})
        data["treatments"] = [(versions[t["version"]], t["share"]) for t in data["treatments"]]
        return data


class PromoteIn(serializers.Serializer):
    arm = serializers.IntegerField(help_text="The id of the treatment arm to make current for everyone.")
    reason = serializers.CharField(max_length=1000, required=False, default="")


class StopIn(serializers.Serializer):
    reason = serializers.CharField(max_length=1000, required=False, default="")


RESULTS = inline_serializer("ExperimentResults", {"results": serializers.DictField()})


class ExperimentFilter(django_filters.FilterSet):
    # By the skill's name, as elsewhere in the API: an unknown name is an empty list, not a 400.
    skill = django_filters.CharFilter(field_name="skill_id")

    class Meta:
        model = Experiment
        fields = ["skill", "status"]


class ExperimentViewSet(
    SkillsAPIMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Experiments on skills. Staff see and drive them all; anyone else reads those of the skills
    they may load (`/results/` too) and nothing else (404)."""

    key_scopes = scope_rules(read=("list", "retrieve", "results"), write=("create", "start", "stop", "promote"))

    serializer_class = ExperimentSerializer
    filterset_class = ExperimentFilter
    ordering_fields = ["created_at"]
    ordering = ["-created_at", "-id"]

    def get_permissions(self):
        if self.action in ("list", "retrieve", "results"):
            return [*super().get_permissions(), IsAuthenticated()]
        return [*super().get_permissions(), IsAdminUser()]

    def get_queryset(self) -> QuerySet[Experiment]:
        experiments = with_arms(Experiment.objects.select_related("decided_by")).prefetch_related("guardrails")
        if getattr(self, "swagger_fake_view", False):  # the schema generator, without a request's user
            return experiments.none()
        if self.request.user.is_staff:
            return experiments
        loadable = Skill.objects.available_to(self.request.user).filter(pk=OuterRef("skill_id"))
        return experiments.filter(Exists(loadable))

    @extend_schema(request=ExperimentIn, responses={201: ExperimentSerializer})
    def create(self, request, *args, **kwargs):
        """A draft experiment; its plan (planned_uses, baseline) is in the answer, to read before starting."""
        data = ExperimentIn(data=request.data)
        data.is_valid(raise_exception=True)
        experiment = experiment_create(**data.validated_data, created_by=request.user)
        return Response(self._read(experiment), status=status.HTTP_201_CREATED)

    def _read(self, experiment: Experiment) -> dict:
        return ExperimentSerializer(
            self.get_queryset().get(pk=experiment.pk), context=self.get_serializer_context()
        ).data

    @extend_schema(request=None, responses=ExperimentSerializer)
    @action(detail=True, methods=["post"])
    def start(self, request, pk=None):
        return Response(self._read(experiment_start(experiment=self.get_object(), started_by=request.user)))

    @extend_schema(request=PromoteIn, responses=ExperimentSerializer)
    @action(detail=True, methods=["post"])
    def promote(self, request, pk=None):
        """Makes the arm's version current for everyone; the experiment ends with the decision recorded."""
        experiment = self.get_object()
        data = PromoteIn(data=request.data)
        data.is_valid(raise_exception=True)
        arm = ExperimentArm(pk=data.validated_data["arm"])  # the service checks it belongs to the experiment
        promoted = experiment_promote(
            experiment=experiment, arm=arm, decided_by=request.user, reason=data.validated_data["reason"]
        )
        return Response(self._read(promoted))

    @extend_schema(request=StopIn, responses=ExperimentSerializer)
    @action(detail=True, methods=["post"])
    def stop(self, request, pk=None):
        """Ends it (or drops a draft); the control stays current."""
        data = StopIn(data=request.data)
        data.is_valid(raise_exception=True)
        stopped = experiment_stop(
            experiment=self.get_object(), decided_by=request.user, reason=data.validated_data["reason"]
        )
        return Response(self._read(stopped))

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["get"])
    def results(self, request, pk=None):
        """Per arm: users, uses, the metrics with 95 % intervals; each treatment's difference to the
        control, its verdict (only at the planned sample) and its guardrails."""
        experiment = self.get_object()
        if experiment.started_at is None:
            return Response({"results": None})
        return Response({"results": experiment_results(experiment)})
