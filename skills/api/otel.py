"""OTLP/HTTP logs intake at /api/otel/v1/logs: Claude Code's OpenTelemetry events taken in.

Point an exporter at it with OTEL_EXPORTER_OTLP_LOGS_ENDPOINT=<site>/api/otel/v1/logs (or
OTEL_EXPORTER_OTLP_ENDPOINT=<site>/api/otel) and OTEL_EXPORTER_OTLP_HEADERS="Authorization=Bearer
<key>", an `ingest` API key (or "Token <key>", as on every endpoint). The answer follows OTLP: 200
with the body's own encoding (JSON or protobuf), `partialSuccess` naming rejected records.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from google.protobuf import json_format
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceResponse
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.scopes import scope_rules
from skillsite.metrics import otlp_records_counted
from skillsite.parsers import TOO_LARGE

from ..intake.otlp import JSON_TYPE, PROTOBUF_TYPE, OtlpBodyError, logs_request_decode, otlp_logs_take_in
from .common import SkillsAPIMixin


class OtlpLogsView(SkillsAPIMixin, APIView):
    """OTLP/HTTP logs: a Skill tool's `tool_result` becomes a usage event, an `api_request` adds to its
    session's tokens and cost, other records are ignored."""

    key_scopes = scope_rules(ingest=("post",))

    throttle_scope = "ingest"
    parser_classes: list = []  # the body is read raw: protobuf, or JSON that may be gzip-compressed

    @extend_schema(
        request={JSON_TYPE: OpenApiTypes.OBJECT, PROTOBUF_TYPE: OpenApiTypes.BINARY},
        responses={
            200: OpenApiResponse(description="ExportLogsServiceResponse; partialSuccess names rejected records."),
            400: OpenApiResponse(description="Not an OTLP logs request (or not gzip, or too deep); nothing stored."),
            413: OpenApiResponse(description="Larger than DATA_UPLOAD_MAX_MEMORY_SIZE, compressed or not."),
        },
    )
    def post(self, request):
        content_type = request.content_type.split(";")[0].strip().lower()
        try:
            body = request.body
        except RequestDataTooBig:
            return Response({"detail": TOO_LARGE.format(limit=settings.DATA_UPLOAD_MAX_MEMORY_SIZE)}, status=413)
        try:
            message = logs_request_decode(
                body, content_type=content_type, content_encoding=request.headers.get("Content-Encoding", "")
            )
        except OtlpBodyError as error:
            return Response({"detail": error.detail}, status=error.status)
        intake = otlp_logs_take_in(message, user=request.user)
        otlp_records_counted(intake)
        answer = ExportLogsServiceResponse()
        if intake.rejected:
            answer.partial_success.rejected_log_records = len(intake.rejected)
            answer.partial_success.error_message = intake.error_message()
        if content_type == PROTOBUF_TYPE:
            return HttpResponse(answer.SerializeToString(), content_type=PROTOBUF_TYPE)
        return HttpResponse(json_format.MessageToJson(answer, indent=None), content_type=JSON_TYPE)
