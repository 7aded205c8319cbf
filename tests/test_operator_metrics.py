"""/metrics: Prometheus's text format for operators only, and counters that move by exactly what a
known sequence of requests did. (Several gunicorn workers adding up: test_operator_metrics_live.py.)"""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest
from django.db import transaction
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from skills.ingestion.fold import usage_rollups_fold
from skills.ingestion.record import usage_events_record
from skills.jobs.runner import job_run
from skills.models import Job, Tier
from skillsite.metrics import JOB_RUNS
from skillsite.metrics_exporter import exporter_start
from tests.factories import SkillFactory, SkillVersionFactory
from tests.pg_cluster import spare_port
from tests.skills.otlp_helpers import activation, api_request, other_tool, otlp_json, skill_result
from tests.skills.telemetry_helpers import event_payload

TOKEN = "operator-token-0123456789"
EVENTS_ROUTE = "api/events/"


@pytest.fixture
def operator(settings):
    settings.METRICS_BEARER_TOKEN = TOKEN
    settings.METRICS_ALLOWED_ADDRESSES = []


def scrape(client) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def moved(before: dict, after: dict, name: str, **labels) -> float:
    key = (name, tuple(sorted(labels.items())))
    return after.get(key, 0.0) - before.get(key, 0.0)


# --- who may read them -------------------------------------------------------------------------


@pytest.mark.django_db
def test_metrics_are_refused_without_the_operators_token(client, operator):
    for headers in ({}, {"HTTP_AUTHORIZATION": "Bearer wrong"}, {"HTTP_AUTHORIZATION": f"Token {TOKEN}"}):
        response = client.get("/metrics", **headers)
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == "Bearer"
        assert b"skillsite_" not in response.content


@pytest.mark.django_db
def test_metrics_are_served_to_the_operators_token(client, operator):
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    assert b"# TYPE skillsite_fold_queue_events gauge" in response.content


@pytest.mark.django_db
def test_nobody_reads_the_metrics_when_no_credential_is_configured(client, settings):
    settings.METRICS_BEARER_TOKEN, settings.METRICS_ALLOWED_ADDRESSES = "", []
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 401


@pytest.mark.django_db
def test_an_allowed_address_reads_the_metrics_and_a_forwarded_header_does_not_fake_one(client, settings):
    settings.METRICS_BEARER_TOKEN = ""
    settings.METRICS_ALLOWED_ADDRESSES = ["10.0.0.0/8"]
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
    spoofed = client.get("/metrics", REMOTE_ADDR="192.0.2.7", HTTP_X_FORWARDED_FOR="10.1.2.3")
    assert spoofed.status_code == 401


@pytest.mark.django_db
def test_metrics_refuse_writes(client, operator):
    assert client.post("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 405


# --- what they count -------------------------------------------------------------------------


@pytest.mark.django_db
def test_event_posts_move_the_request_and_event_counters_by_what_they_did(
    client, user_client, user_registers_skills, operator, django_capture_on_commit_callbacks
):
    batch = [event_payload(n) for n in range(3)]
    before = scrape(client)
    with django_capture_on_commit_callbacks(execute=True):  # the test's transaction never commits
        assert user_client.post("/api/events/", batch, format="json").status_code == 201
        assert user_client.post("/api/events/", batch, format="json").status_code == 200  # a retry
    assert user_client.post("/api/events/", [{"skill_id": "x"}], format="json").status_code == 400
    conflicting = {**batch[0], "latency_ms": 1}
    assert user_client.post("/api/events/", conflicting, format="json").status_code == 409
    after = scrape(client)

    assert moved(before, after, "skillsite_usage_events_total", result="accepted") == 3
    assert moved(before, after, "skillsite_usage_events_total", result="duplicate") == 3
    assert moved(before, after, "skillsite_usage_event_refusals_total", reason="invalid") == 1
    assert moved(before, after, "skillsite_usage_event_refusals_total", reason="conflict") == 1
    for status, count in (("201", 1), ("200", 1), ("400", 1), ("409", 1)):
        labels = {"route": EVENTS_ROUTE, "method": "POST", "status": status}
        assert moved(before, after, "skillsite_http_requests_total", **labels) == count
    latency = {"route": EVENTS_ROUTE, "method": "POST"}
    assert moved(before, after, "skillsite_http_request_duration_seconds_count", **latency) == 4


@pytest.mark.django_db
def test_an_unknown_path_is_one_label_whatever_it_is(client, operator):
    before = scrape(client)
    for n in range(3):
        client.get(f"/no-such-page-{n}/")
    after = scrape(client)
    assert moved(before, after, "skillsite_http_requests_total", route="unmatched", method="GET", status="404") == 3
    assert not [key for key in after if "no-such-page" in str(key)]


@pytest.mark.django_db
def test_the_fold_queue_and_the_folds_are_counted(client, user_client, user_registers_skills, operator, settings):
    settings.INGEST_FOLD_INTERVAL_SECONDS = -1  # left to the fold below
    before = scrape(client)
    assert before[("skillsite_fold_queue_events", ())] == 0
    user_client.post("/api/events/", [event_payload(n) for n in range(5)], format="json")
    queued = scrape(client)
    assert queued[("skillsite_fold_queue_events", ())] == 5
    assert queued[("skillsite_fold_queue_oldest_age_seconds", ())] >= 0
    assert usage_rollups_fold() == 5
    after = scrape(client)
    assert after[("skillsite_fold_queue_events", ())] == 0
    assert after[("skillsite_fold_queue_oldest_age_seconds", ())] == 0
    assert moved(before, after, "skillsite_folded_events_total") == 5
    assert moved(before, after, "skillsite_fold_duration_seconds_count") == 1


@pytest.mark.django_db
def test_job_runs_are_counted_by_job_and_outcome(client, operator, settings):
    settings.CELERY_BROKER_URL = ""
    before = scrape(client)
    job_run(Job.FOLD_ROLLUPS)
    job_run(Job.FOLD_ROLLUPS)
    after = scrape(client)
    assert moved(before, after, "skillsite_job_runs_total", job=Job.FOLD_ROLLUPS, status="succeeded") == 2


@pytest.mark.django_db
def test_pull_requests_and_their_304s_are_counted(client, user_client, operator):
    skill = SkillFactory(skill_id="basics", tier=Tier.FOUNDATIONAL)
    version = SkillVersionFactory(skill=skill, is_current=True, content="# Basics\n")
    before = scrape(client)
    assert user_client.get("/api/skills/available/").status_code == 200
    assert user_client.get("/api/skills/basics/content/").status_code == 200
    not_modified = user_client.get("/api/skills/basics/content/", HTTP_IF_NONE_MATCH=f'"{version.sha256}"')
    assert not_modified.status_code == 304
    after = scrape(client)
    assert moved(before, after, "skillsite_pull_requests_total", endpoint="available", result="served") == 1
    assert moved(before, after, "skillsite_pull_requests_total", endpoint="content", result="served") == 1
    assert moved(before, after, "skillsite_pull_requests_total", endpoint="content", result="not_modified") == 1


@pytest.mark.django_db
def test_otlp_records_are_counted_by_kind(
    client, user_client, user_registers_skills, operator, django_capture_on_commit_callbacks
):
    endless = skill_result("pdf-extract", sequence=5, duration_ms="inf")  # rejected: not a duration
    records = [activation("pdf-extract", sequence=1), skill_result("pdf-extract", sequence=2)]  # one use
    records += [other_tool(sequence=3), api_request(sequence=4), endless]
    before = scrape(client)
    with django_capture_on_commit_callbacks(execute=True):
        response = user_client.post("/api/otel/v1/logs", otlp_json(records), format="json")
    assert response.status_code == 200
    assert response.json()["partialSuccess"]["rejectedLogRecords"] == "1"
    after = scrape(client)
    assert moved(before, after, "skillsite_otlp_records_total", kind="skill_use") == 2
    assert moved(before, after, "skillsite_otlp_records_total", kind="model_request") == 1
    assert moved(before, after, "skillsite_otlp_records_total", kind="ignored") == 1
    assert moved(before, after, "skillsite_otlp_records_total", kind="rejected") == 1
    assert moved(before, after, "skillsite_usage_events_total", result="accepted") == 1


@pytest.mark.django_db
def test_events_recorded_in_a_transaction_that_rolls_back_are_not_counted(
    user_registers_skills, django_capture_on_commit_callbacks
):
    accepted = {"result": "accepted"}
    before = REGISTRY.get_sample_value("skillsite_usage_events_total", accepted) or 0
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            usage_events_record(events=[event_payload(0)], user=user_registers_skills)
            raise RuntimeError("the caller's transaction fails after recording")
    assert callbacks == []
    assert (REGISTRY.get_sample_value("skillsite_usage_events_total", accepted) or 0) == before


# --- the exporter of processes with no web server (Celery workers, the fold worker) ----------------


def test_the_exporter_serves_this_processs_metrics_to_operators_only(settings):
    settings.METRICS_BEARER_TOKEN, settings.METRICS_ALLOWED_ADDRESSES = TOKEN, []
    settings.METRICS_EXPORTER_ADDRESS, settings.METRICS_EXPORTER_PORT = "127.0.0.1", spare_port()
    JOB_RUNS.labels("exporter-test", "succeeded").inc()
    server = exporter_start()
    try:
        url = f"http://127.0.0.1:{settings.METRICS_EXPORTER_PORT}/metrics"
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(url, timeout=5)
        assert refused.value.code == 401 and b"skillsite_" not in refused.value.read()
        request = urllib.request.Request(url, headers={"Authorization": f"Bearer {TOKEN}"})
        with urllib.request.urlopen(request, timeout=5) as response:
            text = response.read().decode()
        assert 'skillsite_job_runs_total{job="exporter-test",status="succeeded"} 1.0' in text
        assert "skillsite_fold_queue_events" not in text  # the web's page reads the queue, not this
    finally:
        server.shutdown()
        server.server_close()


def test_no_exporter_without_a_port(settings):
    settings.METRICS_EXPORTER_PORT = 0
    assert exporter_start() is None
