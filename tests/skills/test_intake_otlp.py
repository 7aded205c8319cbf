"""OTLP/HTTP logs intake: Claude Code's OpenTelemetry events in, usage events out."""

import gzip
import json

import pytest
from google.protobuf import json_format
from opentelemetry.exporter.otlp.proto.common._log_encoder import encode_logs
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, LogRecordExportResult, SimpleLogRecordProcessor
from opentelemetry.sdk.resources import Resource

from skills.intake.otlp import (
    BAD_NUMBER,
    NOT_GZIP,
    NOT_OTLP_JSON,
    NOT_OTLP_PROTOBUF,
    UNSUPPORTED_ENCODING,
    UNSUPPORTED_TYPE,
)
from skills.models import AgentApiRequest, HeldUsageEvent, SkillMetrics, UsageEvent
from skillsite.parsers import TOO_DEEP, TOO_LARGE
from tests.factories import api_key_of
from tests.skills.otlp_helpers import (
    SESSION,
    activation,
    api_error,
    api_request,
    other_tool,
    otlp_json,
    skill_result,
)

URL = "/api/otel/v1/logs"

# Ingestion itself: the events name skills nobody registered, as an operator's may.
pytestmark = pytest.mark.usefixtures("user_registers_skills")


def _exported_batch() -> list:
    """Records made by the official SDK (a Claude Code session's events), captured for export:
    each Skill call's `skill_activated` and `tool_result`, another tool, a model request."""
    captured = InMemoryLogRecordExporter()
    provider = LoggerProvider(resource=Resource.create({"service.name": "claude-code", "session.id": SESSION}))
    provider.add_log_record_processor(SimpleLogRecordProcessor(captured))
    logger = provider.get_logger("com.anthropic.claude_code.events")
    records = [
        activation("pdf-extract", sequence=1),
        skill_result("pdf-extract", sequence=2),
        activation("pdf-extract", sequence=3),
        skill_result("pdf-extract", sequence=4, success=False, duration_ms=90),
        activation("code-review", sequence=5, **{"plugin.name": "team", "skill.source": "plugin"}),
        skill_result("code-review", sequence=6, tool_parameters=json.dumps({"skill_name": "team:code-review"})),
        other_tool(sequence=7),
        api_request(sequence=8),
    ]
    for n, attributes in enumerate(records):
        attributes.pop("session.id")  # on the resource, as the SDK's resource attributes
        logger.emit(
            timestamp=1795082400000000000 + n * 10**9,
            body=f"claude_code.{attributes['event.name']}",
            attributes=attributes,
        )
    return captured.get_finished_logs()


def _assert_the_batch_was_taken_in(user) -> None:
    events = UsageEvent.objects.order_by("occurred_at")
    assert [(e.skill_id, e.outcome, e.latency_ms, e.session_id, e.user_id) for e in events] == [
        ("pdf-extract", "success", 840, SESSION, user.pk),
        ("pdf-extract", "error", 90, SESSION, user.pk),
    ]
    assert events[1].error_type == "Skill failed to load"
    assert events[0].artifacts["tool_use_id"] == "toolu_0002"
    assert (events[0].invocation_trigger, events[0].skill_source) == ("claude-proactive", "projectSettings")
    # The plugin's skill is its own: held for staff to map, never counted as a skill of the same bare name.
    held = HeldUsageEvent.objects.get()
    assert (held.unregistered.name, held.payload["plugin"]) == ("team:code-review", "team")
    metrics = SkillMetrics.objects.get(skill_id="pdf-extract")
    assert (metrics.total_invocations, metrics.completed_count, metrics.error_count) == (2, 1, 1)
    request = AgentApiRequest.objects.get()
    assert (request.session_id, request.input_tokens, str(request.cost_usd)) == (SESSION, 1200, "0.012300")


@pytest.mark.django_db(transaction=True)
def test_the_official_exporter_sends_protobuf_to_a_live_server(live_server, user):
    key = api_key_of(user, "ingest")
    exporter = OTLPLogExporter(
        endpoint=f"{live_server.url}{URL}",
        headers={"Authorization": f"Bearer {key}"},
        compression=Compression.Gzip,
        timeout=10,
    )
    batch = _exported_batch()

    assert exporter.export(batch) == LogRecordExportResult.SUCCESS

    _assert_the_batch_was_taken_in(user)
    assert exporter.export(batch) == LogRecordExportResult.SUCCESS  # the exporter's retry
    assert UsageEvent.objects.count() == 2 and AgentApiRequest.objects.count() == 1
    assert HeldUsageEvent.objects.count() == 1
    assert SkillMetrics.objects.get(skill_id="pdf-extract").total_invocations == 2


@pytest.mark.django_db
def test_the_official_sdks_records_in_otlp_json_are_taken_in(user, user_client):
    """The SDK's own encoder, written in OTLP/JSON (the SDK ships no JSON exporter that installs
    beside its protobuf one): the same records, the same result."""
    body = json_format.MessageToJson(encode_logs(_exported_batch()))

    response = user_client.post(URL, body, content_type="application/json")

    assert response.status_code == 200 and response.json() == {}
    _assert_the_batch_was_taken_in(user)


@pytest.mark.django_db
def test_a_json_body_is_taken_in_and_rejected_records_are_named(user, user_client):
    records = [
        activation("pdf-extract", sequence=1),
        skill_result("pdf-extract", sequence=2),
        {**skill_result("pdf-extract", sequence=3), "duration_ms": "soon"},
        other_tool(sequence=4),
        api_request(sequence=5),
    ]
    response = user_client.post(URL, otlp_json(records), format="json")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    reason = BAD_NUMBER.format(name="duration_ms", value="soon")
    assert response.json() == {
        "partialSuccess": {"rejectedLogRecords": "1", "errorMessage": f"record 2 (tool_result): {reason}"}
    }
    event = UsageEvent.objects.get()
    assert (event.skill_id, event.outcome, event.latency_ms) == ("pdf-extract", "success", 840)
    assert AgentApiRequest.objects.get().output_tokens == 300

    again = user_client.post(URL, otlp_json(records), format="json")
    assert again.status_code == 200
    assert UsageEvent.objects.count() == 1 and AgentApiRequest.objects.count() == 1


@pytest.mark.django_db
def test_a_fully_accepted_body_gets_an_empty_answer_and_gzip_is_accepted(user_client):
    records = [activation("pdf-extract", sequence=1), skill_result("pdf-extract", sequence=2)]
    body = gzip.compress(json.dumps(otlp_json(records)).encode())
    response = user_client.post(URL, body, content_type="application/json", HTTP_CONTENT_ENCODING="gzip")
    assert response.status_code == 200
    assert response.json() == {}
    assert UsageEvent.objects.count() == 1


@pytest.mark.django_db
def test_a_record_at_a_time_ingestion_refuses_is_rejected_and_the_rest_stored(user_client):
    records = [activation("pdf-extract", sequence=1), skill_result("pdf-extract", sequence=2)]
    records += [activation("pdf-extract", sequence=3), skill_result("pdf-extract", sequence=4)]
    records[3]["event.timestamp"] = "2099-01-01T00:00:00Z"
    body = otlp_json(records, time_unix_nano="0")  # the time then comes from event.timestamp
    response = user_client.post(URL, body, format="json")
    message = response.json()["partialSuccess"]["errorMessage"]
    assert message.startswith("record 3 (tool_result): occurred_at:") and "future" in message
    assert UsageEvent.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body, content_type, encoding, expected",
    [
        (b"\x0a\xff\xff", "application/x-protobuf", "", NOT_OTLP_PROTOBUF.split(":")[0]),
        (b'{"resourceLogs": "nope"}', "application/json", "", NOT_OTLP_JSON.split(":")[0]),
        (b"not json", "application/json", "", NOT_OTLP_JSON.split(":")[0]),
        (b"not gzip at all", "application/json", "gzip", NOT_GZIP.split(":")[0]),
    ],
)
def test_a_malformed_body_is_400_and_stores_nothing(user_client, body, content_type, encoding, expected):
    headers = {"HTTP_CONTENT_ENCODING": encoding} if encoding else {}
    response = user_client.post(URL, body, content_type=content_type, **headers)
    assert response.status_code == 400
    assert response.json()["detail"].startswith(expected)
    assert not UsageEvent.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "content_type, encoding, expected",
    [
        ("text/plain", "", UNSUPPORTED_TYPE.format(content_type="text/plain")),
        ("application/json", "br", UNSUPPORTED_ENCODING.format(encoding="br")),
    ],
)
def test_a_body_in_another_format_or_encoding_is_415_and_stores_nothing(user_client, content_type, encoding, expected):
    headers = {"HTTP_CONTENT_ENCODING": encoding} if encoding else {}
    response = user_client.post(URL, b"{}", content_type=content_type, **headers)
    assert response.status_code == 415
    assert response.json()["detail"] == expected
    assert not UsageEvent.objects.exists()


@pytest.mark.django_db
def test_a_compressed_body_is_checked_for_size_and_depth(user_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    bomb = gzip.compress(b" " * 10_001)
    response = user_client.post(URL, bomb, content_type="application/json", HTTP_CONTENT_ENCODING="gzip")
    assert response.status_code == 413
    assert response.json()["detail"] == TOO_LARGE.format(limit=10_000)
    deep = gzip.compress(b"[" * 100 + b"]" * 100)
    response = user_client.post(URL, deep, content_type="application/json", HTTP_CONTENT_ENCODING="gzip")
    assert response.status_code == 400
    assert response.json()["detail"] == TOO_DEEP.format(limit=settings.JSON_MAX_DEPTH)


@pytest.mark.django_db
@pytest.mark.parametrize("scheme", ["Token", "Bearer"])
def test_an_unknown_token_is_401_and_stores_nothing(api_client, scheme):
    body = otlp_json([skill_result("pdf-extract", sequence=1)])
    response = api_client.post(URL, body, format="json", HTTP_AUTHORIZATION=f"{scheme} not-a-real-token")
    assert response.status_code == 401
    assert api_client.post(URL, body, format="json").status_code == 401
    assert not UsageEvent.objects.exists()


@pytest.mark.django_db
def test_protobuf_gets_a_protobuf_answer_naming_rejections(user, api_client):
    from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
        ExportLogsServiceRequest,
        ExportLogsServiceResponse,
    )

    message = json_format.ParseDict(
        otlp_json([{**skill_result("x", sequence=1), "duration_ms": -1}]),
        ExportLogsServiceRequest(),
        ignore_unknown_fields=True,
    )
    key = api_key_of(user, "ingest")
    response = api_client.post(
        URL, message.SerializeToString(), content_type="application/x-protobuf", HTTP_AUTHORIZATION=f"Token {key}"
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/x-protobuf"
    answer = ExportLogsServiceResponse.FromString(response.content)
    assert answer.partial_success.rejected_log_records == 1
    assert BAD_NUMBER.format(name="duration_ms", value=-1) in answer.partial_success.error_message


@pytest.mark.django_db
def test_a_failed_model_request_is_kept_on_its_session_without_cost(user_client):
    records = [api_request(sequence=1), api_error(sequence=2), api_error(sequence=3, status_code="undefined", error="")]
    assert user_client.post(URL, otlp_json(records), format="json").json() == {}
    assert user_client.post(URL, otlp_json(records), format="json").status_code == 200  # the exporter's retry

    failed = AgentApiRequest.objects.exclude(error="").order_by("sequence")
    assert [(r.error, r.status_code, r.attempt, r.cost_usd, r.duration_ms) for r in failed] == [
        ("Overloaded", 529, 2, 0, 30100),
        ("api error", None, 2, 0, 30100),  # no response, no message: still a failure
    ]
    session = user_client.get(f"/api/agent-sessions/{SESSION}/").json()
    assert (session["api_requests"], session["api_errors"], session["cost_usd"]) == (1, 2, "0.012300")
    detail = user_client.get(f"/api/sessions/{SESSION}/").json()["model_requests"]
    assert (detail["count"], detail["errors"]) == (1, 2)


@pytest.mark.django_db
def test_a_failed_request_with_a_nul_in_its_error_is_rejected_by_name(user_client):
    response = user_client.post(URL, otlp_json([api_error(sequence=1, error="bad\x00")]), format="json")
    assert "error contains a NUL" in response.json()["partialSuccess"]["errorMessage"]
    assert not AgentApiRequest.objects.exists()
