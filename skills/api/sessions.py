"""Seed 001's session × skill table for a client: one of the caller's sessions, skill by skill."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.scopes import scope_rules

from ..models import Outcome
from ..selectors.sessions import SESSION_STEPS_SHOWN, session_detail
from .common import SkillsAPIMixin

SESSION_NOT_FOUND = "You have no events or model requests in this session."


def _money() -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=18, decimal_places=6)


class SessionOutcomesSerializer(serializers.Serializer):
    success = serializers.IntegerField()
    failure = serializers.IntegerField()
    error = serializers.IntegerField()
    abandoned = serializers.IntegerField()


class SessionSkillSerializer(serializers.Serializer):
    skill_id = serializers.CharField()
    invocations = serializers.IntegerField()
    outcomes = SessionOutcomesSerializer(help_text="The skill's events in the session by outcome.")
    first_at = serializers.DateTimeField()
    last_at = serializers.DateTimeField()
    latency_ms_total = serializers.IntegerField(help_text="Sum of the latencies the events reported.")
    latency_ms_avg = serializers.FloatField(allow_null=True, help_text="Null when no event reported a latency.")
    tokens_used = serializers.IntegerField()
    tokens_saved = serializers.IntegerField()
    cost_usd = _money()


class SessionStepSerializer(serializers.Serializer):
    occurred_at = serializers.DateTimeField()
    skill_id = serializers.CharField()
    skill_version = serializers.CharField(allow_null=True)
    outcome = serializers.ChoiceField(choices=Outcome.choices)
    latency_ms = serializers.IntegerField(allow_null=True)
    error_type = serializers.CharField()
    workflow_path = serializers.CharField()
    tokens_used = serializers.IntegerField()
    tokens_saved = serializers.IntegerField()
    cost_usd = _money()


class SessionTotalsSerializer(serializers.Serializer):
    latency_ms = serializers.IntegerField()
    tokens_used = serializers.IntegerField()
    tokens_saved = serializers.IntegerField()
    cost_usd = _money()


class SessionModelRequestsSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="Model requests that succeeded (api_request).")
    errors = serializers.IntegerField(help_text="Model requests that failed (api_error).")
    input_tokens = serializers.IntegerField()
    output_tokens = serializers.IntegerField()
    cost_usd = _money()


class SessionDetailSerializer(serializers.Serializer):
    session_id = serializers.CharField()
    started_at = serializers.DateTimeField()
    ended_at = serializers.DateTimeField()
    events = serializers.IntegerField()
    skills = SessionSkillSerializer(many=True, help_text="One a skill, in the order first used.")
    steps = SessionStepSerializer(many=True, help_text=f"The events in order, the first {SESSION_STEPS_SHOWN}.")
    steps_omitted = serializers.IntegerField(help_text=f"Events after the first {SESSION_STEPS_SHOWN}.")
    totals = SessionTotalsSerializer(help_text="The skills' events summed.")
    model_requests = SessionModelRequestsSerializer(
        help_text="The agent's model requests in the session (OpenTelemetry api_request), summed."
    )


class SessionDetailView(SkillsAPIMixin, APIView):
    """One of the caller's sessions: its skills in the order first used with their outcomes,
    latency, tokens and cost, each event in order, and the agent's model requests. Only the
    caller's own events count; a session where the caller has none is a 404."""

    key_scopes = scope_rules(read=("get",))

    @extend_schema(responses=SessionDetailSerializer)
    def get(self, request, session_id: str):
        detail = session_detail(request.user, session_id)
        if detail is None:
            raise Http404(SESSION_NOT_FOUND)
        return Response(SessionDetailSerializer(detail).data)
