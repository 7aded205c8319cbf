"""The OTLP intake under hostile records (issue 24, point 5): each of the 500s the probe found is
now a rejected record named in the answer's partialSuccess (OTLP's own way of refusing a record,
with the rest of the request taken in) or a 4xx for the whole request, and nothing of it stored."""

import gzip
import json

import pytest
from google.protobuf import json_format
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest

from skills.intake.otlp import BAD_NUMBER, BAD_TIME, NUL_IN_TEXT, TOO_DEEP_ATTRIBUTE, TOO_MANY_RECORDS
from skills.models import AgentApiRequest, Skill, UsageEvent
from tests.factories import SkillFactory
from tests.skills.otlp_helpers import activation, api_request, otlp_json, skill_result

pytestmark = pytest.mark.django_db

URL = "/api/otel/v1/logs"


def nothing_stored() -> bool:
    return not (UsageEvent.objects.exists() or AgentApiRequest.objects.exists() or Skill.objects.exists())


def rejection(response) -> str:
    assert response.status_code == 200, response.content
    partial = response.json()["partialSuccess"]
    assert partial["rejectedLogRecords"] == "1"
    return partial["errorMessage"]


@pytest.mark.parametrize(
    "record, reason",
    [
        ({**api_request(sequence=1), "session.id": "a\x00b"}, NUL_IN_TEXT.format(name="session.id")),
        ({**api_request(sequence=1), "model": "claude\x00"}, NUL_IN_TEXT.format(name="model")),
        ({**api_request(sequence=1), "duration_ms": "inf"}, BAD_NUMBER.format(name="duration_ms", value="inf")),
        ({**api_request(sequence=1), "input_tokens": "-inf"}, BAD_NUMBER.format(name="input_tokens", value="-inf")),
        ({**api_request(sequence=1), "duration_ms": "nan"}, BAD_NUMBER.format(name="duration_ms", value="nan")),
        ({**api_request(sequence=1), "duration_ms": "1e400"}, BAD_NUMBER.format(name="duration_ms", value="1e400")),
        ({**skill_result("pdf-extract", sequence=1), "duration_ms": "inf"},
         BAD_NUMBER.format(name="duration_ms", value="inf")),
        ({**skill_result("pdf-extract", sequence=1), "session.id": "s\x00"}, NUL_IN_TEXT.format(name="session.id")),
        ({**api_request(sequence=1), "event.timestamp": "0001-01-01T00:30:00+01:00"},
         BAD_TIME.format(value="0001-01-01T00:30:00+01:00")),
        ({**api_request(sequence=1), "event.timestamp": "9999-12-31T23:30:00-01:00"},
         BAD_TIME.format(value="9999-12-31T23:30:00-01:00")),
        ({**skill_result("pdf-extract", sequence=1), "event.timestamp": "9999-12-31T23:30:00-01:00"},
         BAD_TIME.format(value="9999-12-31T23:30:00-01:00")),
        ({**skill_result("pdf-extract", sequence=1), "tool_parameters": "[" * 100_000 + "]" * 100_000},
         TOO_DEEP_ATTRIBUTE.format(name="tool_parameters", limit=64)),
    ],
)  # fmt: skip
def test_a_hostile_record_is_rejected_by_name_and_nothing_of_it_stored(user_client, record, reason):
    response = user_client.post(URL, otlp_json([record], time_unix_nano="0"), format="json")
    assert rejection(response) == f"record 0 ({record['event.name']}): {reason}"
    assert nothing_stored()


def test_the_same_hostile_record_in_protobuf_and_gzip_is_rejected_too(user_client):
    record = {**api_request(sequence=1), "session.id": "a\x00b"}
    message = json_format.ParseDict(otlp_json([record]), ExportLogsServiceRequest(), ignore_unknown_fields=True)
    for body, content_type, encoding in [
        (message.SerializeToString(), "application/x-protobuf", "gzip"),
        (gzip.compress(json.dumps(otlp_json([record])).encode()), "application/json", "gzip"),
    ]:
        payload = gzip.compress(body) if content_type == "application/x-protobuf" else body
        response = user_client.post(URL, payload, content_type=content_type, HTTP_CONTENT_ENCODING=encoding)
        assert response.status_code == 200
        assert nothing_stored()


def test_a_request_with_more_records_than_events_max_batch_is_413_and_stores_nothing(user_client, settings):
    settings.EVENTS_MAX_BATCH = 10
    SkillFactory(skill_id="pdf-extract")  # registered, so the records at the cap are stored as events
    records = []
    for use in range(6):  # each use: its activation, then the Skill tool's result
        records += [activation("pdf-extract", sequence=2 * use), skill_result("pdf-extract", sequence=2 * use + 1)]
    response = user_client.post(URL, otlp_json(records), format="json")
    assert response.status_code == 413
    assert response.json()["detail"] == TOO_MANY_RECORDS.format(limit=10, count=12)
    assert not UsageEvent.objects.exists() and not AgentApiRequest.objects.exists()
    assert user_client.post(URL, otlp_json(records[:10]), format="json").status_code == 200  # at the cap: taken in
    assert UsageEvent.objects.count() == 5
