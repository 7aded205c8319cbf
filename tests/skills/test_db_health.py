"""The database health page and `db_health`, on PostgreSQL and on SQLite."""

import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from skills.ingestion.record import usage_events_record
from skills.selectors.database_health import STATEMENTS_HOW_TO, database_health
from tests.factories import UserFactory
from tests.skills.telemetry_helpers import event_payload

pytestmark = pytest.mark.django_db
URL = "/admin/skills/health/"


def db_health(*args: str) -> str:
    out = io.StringIO()
    call_command("db_health", *args, stdout=out)
    return out.getvalue()


@pytest.mark.postgres
def test_every_table_and_partition_has_its_sizes_and_statistics():
    report = database_health()
    listed = {t["name"]: t for t in report["tables"] + report["log_partitions"]}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
            "UNION SELECT relname FROM pg_class WHERE relkind = 'p' AND relnamespace = current_schema()::regnamespace"
        )
        tables = {row[0] for row in cursor.fetchall()}
    assert tables == set(listed)
    for table in listed.values():
        for key in ("data_bytes", "index_bytes", "toast_bytes", "total_bytes", "rows_estimated"):
            assert isinstance(table[key], int) and table[key] >= 0, (table["name"], key)
        assert table["total_bytes"] == table["data_bytes"] + table["index_bytes"] + table["toast_bytes"]
        assert "last_autovacuum" in table and "bloat_estimate" in table
    partitions = {t["name"] for t in report["log_partitions"]}
    assert "skills_usageevent_default" in partitions and len(partitions) >= 5  # this month, 3 ahead, default
    log = listed["skills_usageevent"]
    assert log["kind"] == "partitioned" and log["total_bytes"] == sum(listed[p]["total_bytes"] for p in partitions)
    assert isinstance(report["cache_hit_ratio"], float) and report["connections"]
    assert report["statements"] == {"available": False, "how_to_enable": STATEMENTS_HOW_TO, "slowest": []}


@pytest.mark.postgres
def test_a_planted_unused_index_is_flagged_and_unique_ones_are_not():
    with connection.cursor() as cursor:
        cursor.execute("CREATE INDEX health_planted_unused ON skills_skill (display_name)")
    indexes = {i["name"]: i for i in database_health()["indexes"]}
    assert indexes["health_planted_unused"]["unused"] and indexes["health_planted_unused"]["scans"] == 0
    assert indexes["health_planted_unused"]["table"] == "skills_skill" and indexes["health_planted_unused"]["bytes"] > 0
    assert not indexes["skills_skill_pkey"]["unused"]  # never scanned here, but unique
    assert "health_planted_unused on skills_skill" in db_health()


@pytest.mark.postgres
def test_events_in_the_default_partition_are_counted_and_warned_about():
    assert database_health()["default_partition_rows"] == 0
    # The helper's events are 940 days old: no monthly partition holds them.
    usage_events_record(events=[event_payload(n) for n in range(7)], user=UserFactory(), registers=True)
    report = database_health()
    assert report["default_partition_rows"] == 7
    assert "7 event(s) in the DEFAULT partition: run manage_partitions" in report["warnings"]
    with pytest.raises(CommandError):
        call_command("db_health", "--check", stdout=io.StringIO())


@pytest.mark.postgres
def test_the_report_takes_a_fixed_number_of_queries(django_assert_num_queries):
    for _ in range(2):
        with django_assert_num_queries(10):
            # sizes; vacuum statistics and row widths; indexes; cache; connections; long transactions;
            # waiting locks; DEFAULT partition; pg_stat_statements loaded?; standbys (pg_stat_replication)
            database_health()
        usage_events_record(events=[event_payload(n) for n in range(30)], user=UserFactory(), registers=True)


def test_the_page_is_for_staff_and_shows_the_report(admin_client, client):
    UserFactory(username="learner-h")
    client.force_login(UserFactory(username="learner-h"))
    assert client.get(URL).status_code == 302  # to the admin login
    page = admin_client.get(URL)
    assert page.status_code == 200
    html = page.content.decode()
    if connection.vendor == "postgresql":
        assert 'id="health-partitions"' in html and "skills_usageevent_default" in html
        assert 'id="default-partition-rows">0' in html and "pg_stat_statements is not loaded" in html
    else:
        assert 'id="sqlite-note"' in html and "skills_usageevent" in html
    assert 'href="/admin/skills/health/"' in admin_client.get("/admin/").content.decode()


def test_the_page_takes_a_fixed_number_of_queries(admin_client, django_assert_num_queries):
    admin_client.get(URL)
    usage_events_record(events=[event_payload(n) for n in range(30)], user=UserFactory(), registers=True)
    with django_assert_num_queries(12 if connection.vendor == "postgresql" else 4):
        # the session and the user; the report: 10 on PostgreSQL (see above), 2 on SQLite (pages; dbstat)
        admin_client.get(URL)


def test_db_health_prints_text_and_json():
    text = db_health()
    data = json.loads(db_health("--json"))
    assert data["vendor"] == connection.vendor and isinstance(data["warnings"], list)
    if connection.vendor == "postgresql":
        assert "skills_usageevent_default [partition]" in text and "cache hit ratio" in text
    else:
        assert data["page_size"] > 0 and data["page_count"] >= 0 and "SQLite" in text
        names = {t["name"] for t in data["tables"]}
        assert {"skills_usageevent", "skills_skillmetrics"} <= names
        assert "table skills_usageevent" in text
