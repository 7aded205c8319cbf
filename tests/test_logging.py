"""Structured logs: LOG_FORMAT=json writes one JSON object a line; every request has an id, returned
in X-Request-ID and on each log line written while it runs. (Carried into queued jobs:
tests/skills/test_jobs.py.)"""

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from skillsite.request_id import REQUEST_ID_HEADER, RequestIdFilter

ROOT = Path(__file__).resolve().parent.parent


class Captured(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.addFilter(RequestIdFilter())
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def captured():
    handler = Captured()
    logging.getLogger("django.request").addHandler(handler)
    yield handler
    logging.getLogger("django.request").removeHandler(handler)


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "skillsite.settings", "SECRET_KEY": "logs-test", **env}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )


def test_every_response_carries_a_new_request_id(client):
    first, second = client.get("/healthz"), client.get("/healthz")
    assert len(first[REQUEST_ID_HEADER]) == 32 and first[REQUEST_ID_HEADER] != second[REQUEST_ID_HEADER]


def test_a_load_balancers_request_id_is_kept(client):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="lb-7f3a.0001")
    assert response[REQUEST_ID_HEADER] == "lb-7f3a.0001"


@pytest.mark.parametrize("forged", ["a" * 65, "id with spaces", 'x"}, {"level": "CRITICAL', "id\nINFO forged line"])
def test_a_request_id_that_could_forge_a_log_line_or_header_is_replaced(client, forged):
    response = client.get("/healthz", HTTP_X_REQUEST_ID=forged)
    assert response[REQUEST_ID_HEADER] != forged and len(response[REQUEST_ID_HEADER]) == 32


@pytest.mark.django_db
def test_log_lines_written_during_a_request_carry_its_id(client, captured):
    response = client.get("/api/no-such-endpoint/")  # django.request logs the 404 as a warning
    assert response.status_code == 404
    assert [record.request_id for record in captured.records] == [response[REQUEST_ID_HEADER]]


def test_log_format_json_writes_one_json_object_a_line():
    script = "import logging; logging.getLogger('skills.test').warning('folded %s event(s)', 5)"
    result = manage("shell", "-c", script, LOG_FORMAT="json")
    assert result.returncode == 0, result.stderr
    line = json.loads(result.stderr.strip().splitlines()[-1])
    assert line["level"] == "WARNING" and line["logger"] == "skills.test"
    assert line["message"] == "folded 5 event(s)" and line["request_id"] == "" and line["time"].endswith("+00:00")


def test_a_malformed_log_format_stops_the_start_naming_the_variable():
    result = manage("check", LOG_FORMAT="xml")
    assert result.returncode != 0 and "LOG_FORMAT" in result.stderr
