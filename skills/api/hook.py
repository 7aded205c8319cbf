"""`POST /api/agent-hook/`: Claude Code's PostToolUse hook payload, as clients/skillsite_hook.py
forwards it — a signal of a skill use, joined with its OpenTelemetry records and transcript line
on `tool_use_id` into one usage event (skills/intake/join.py)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.scopes import scope_rules

from ..intake.hook import HookPayloadError, hook_signal
from ..intake.join import skill_signals_take_in
from .common import SkillsAPIMixin

HOOK_RESULT = inline_serializer(
    "HookJoined",
    {
        "joined": serializers.BooleanField(help_text="A Skill call's signal, joined to its use."),
        "recorded": serializers.IntegerField(help_text="Usage events that entered the log with this post."),
    },
)


class AgentHookView(SkillsAPIMixin, APIView):
    throttle_scope = "ingest"
    key_scopes = scope_rules(ingest=("post",))

    @extend_schema(
        request=OpenApiTypes.OBJECT,
        responses={
            202: HOOK_RESULT,
            200: OpenApiResponse(HOOK_RESULT, description="Not a Skill call, or a signal received before."),
            400: OpenApiResponse(
                description="No tool_name, or a Skill call without a usable tool_use_id or skill name; none stored."
            ),
        },
    )
    def post(self, request):
        try:
            signal = hook_signal(request.data)
        except HookPayloadError as error:
            return Response({"detail": str(error)}, status=status.HTTP_400_BAD_REQUEST)
        if signal is None:
            return Response({"joined": False, "recorded": 0}, status=status.HTTP_200_OK)
        joined = skill_signals_take_in([signal], user=request.user)
        new = joined.late == 0 and joined.repeats == 0
        body = {"joined": new, "recorded": joined.created}
        return Response(body, status=status.HTTP_202_ACCEPTED if new else status.HTTP_200_OK)
