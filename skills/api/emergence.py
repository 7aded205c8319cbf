"""Emergence for REST clients and notebooks (staff only): the candidates with their evidence
figures, and the co-occurring skill sets they are mined from."""

from __future__ import annotations

import django_filters
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import generics, serializers, viewsets
from rest_framework.permissions import IsAdminUser, IsAuthenticated
from rest_framework.response import Response

from accounts.permissions import KeyScopeAllows
from accounts.scopes import scope_rules

from ..models import CandidateStatus, EmergenceCandidate
from ..selectors.candidates import candidate_lifts, cooccurrence_sets
from .common import SkillsAPIMixin


class CandidateSerializer(serializers.ModelSerializer):
    distinct_users = serializers.IntegerField(help_text="Users behind the events of the candidate's sessions.")
    lift = serializers.SerializerMethodField(
        help_text="Support ÷ what independent use of the member skills predicts (1: no association); null when a "
        "member never succeeded in a session."
    )
    reviewed_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    deployed_skill = serializers.CharField(source="deployed_skill_id", allow_null=True)

    class Meta:
        model = EmergenceCandidate
        fields = ["id", "status", "skills", "tier", "element", "realm", "support_count", "distinct_users",
                  "avg_success_rate", "field_coherence", "lift", "first_seen", "last_seen", "reviewed_by",
                  "reviewed_at", "review_notes", "deployed_skill"]  # fmt: skip

    def get_lift(self, candidate: EmergenceCandidate) -> float | None:
        return self.context["lifts"].get(candidate.pk)  # computed once for the page by the view


class CandidateFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=CandidateStatus.choices)
    skill = django_filters.CharFilter(
        field_name="skills", lookup_expr="has_element", label="Candidates holding this skill"
    )

    class Meta:
        model = EmergenceCandidate
        fields = ["status", "skill"]


class CandidateViewSet(SkillsAPIMixin, viewsets.ReadOnlyModelViewSet):
    """Emergence candidates, every status (`?status=`, `?skill=`), most supported first; staff only.
    `avg_success_rate` and `field_coherence` are shares from 0 to 1."""

    key_scopes = scope_rules(read=("list", "retrieve"))

    serializer_class = CandidateSerializer
    filterset_class = CandidateFilter
    permission_classes = [IsAuthenticated, KeyScopeAllows, IsAdminUser]
    ordering_fields = ["support_count", "first_seen", "last_seen", "avg_success_rate"]
    ordering = ["-support_count", "id"]

    def get_queryset(self):
        return EmergenceCandidate.objects.with_distinct_users().select_related("reviewed_by")

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self._serialize(page, many=True))

    def retrieve(self, request, *args, **kwargs):
        return Response(self._serialize([self.get_object()], many=False))

    def _serialize(self, candidates: list[EmergenceCandidate], *, many: bool):
        context = {**self.get_serializer_context(), "lifts": candidate_lifts(candidates)}
        return CandidateSerializer(candidates if many else candidates[0], many=many, context=context).data


class CandidateRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=CandidateStatus.choices)


class CooccurrenceSerializer(serializers.Serializer):
    skills = serializers.ListField(child=serializers.CharField(), help_text="The set, sorted.")
    tier = serializers.CharField()
    element = serializers.CharField()
    realm = serializers.CharField()
    sessions = serializers.IntegerField(help_text="Sessions where the set succeeded together, in this context.")
    success_events = serializers.IntegerField()
    total_events = serializers.IntegerField()
    success_rate = serializers.SerializerMethodField(help_text="success_events ÷ total_events, 0 to 1.")
    last_seen = serializers.DateTimeField()
    candidate = serializers.SerializerMethodField(help_text="The emergence candidate of this set and context, if any.")

    def get_success_rate(self, row: dict) -> float | None:
        return round(row["success_events"] / row["total_events"], 4) if row["total_events"] else None

    @extend_schema_field(CandidateRefSerializer(allow_null=True))
    def get_candidate(self, row: dict) -> dict | None:
        if row["candidate_id"] is None:
            return None
        return {"id": row["candidate_id"], "status": row["candidate_status"]}


class CooccurrenceParams(serializers.Serializer):
    skill = serializers.CharField(required=False, max_length=100)
    min_sessions = serializers.IntegerField(required=False, min_value=1)


class CooccurrenceView(SkillsAPIMixin, generics.ListAPIView):
    """Seed 000's co-occurrence view: skill sets that succeeded together in a session, per context,
    with their counts, most frequent first (`?skill=` sets holding a skill, `?min_sessions=`); from
    the miner's table, as fresh as the last mining run; staff only."""

    key_scopes = scope_rules(read=("get",))

    serializer_class = CooccurrenceSerializer
    permission_classes = [IsAuthenticated, KeyScopeAllows, IsAdminUser]
    filter_backends: list = []

    @extend_schema(
        parameters=[
            OpenApiParameter("skill", str, description="Only the sets holding this skill."),
            OpenApiParameter("min_sessions", int, description="Only the sets seen in at least this many sessions."),
        ]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        params = CooccurrenceParams(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        return cooccurrence_sets(**params.validated_data)
