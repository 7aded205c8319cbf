"""Run by tests/test_replica.py in a process of its own, with DATABASE_URL (the primary) and
DATABASE_REPLICA_URL (its streaming replica) set; prints what it saw as JSON.

`python tests/replica_scenario.py read`: writes events on the primary, waits for the replica, pauses
its replay, writes more, and reads the analytics through the API (they must come from the replica,
so without the second writes), then a read inside a transaction (the primary), /readyz while the
replica lags (REPLICA_LAG_WARN_SECONDS=0: unready), then resumes (ready).
`python tests/replica_scenario.py fallback`: the replica is down; the same read is served by the primary.
"""

import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "skillsite.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connections, transaction  # noqa: E402
from django.db.models import Sum  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from skills.ingestion.fold import usage_rollups_fold  # noqa: E402
from skills.ingestion.record import usage_events_record  # noqa: E402
from skills.models import SkillMetrics  # noqa: E402
from skillsite.routers import replica_reads  # noqa: E402
from tests.skills.telemetry_helpers import event_payload  # noqa: E402


def lsn(alias: str, sql: str):
    with connections[alias].cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()[0]


def wait_for_replica() -> None:
    target = lsn("default", "SELECT pg_current_wal_lsn()::text")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if lsn("replica", f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn"):
            return
        time.sleep(0.05)
    raise SystemExit("the replica did not catch up in 30 s")


def record(first: int, count: int, user) -> None:
    usage_events_record(events=[event_payload(n) for n in range(first, first + count)], user=user, registers=True)
    usage_rollups_fold()


def summary(client: APIClient) -> tuple[int, int]:
    with CaptureQueriesContext(connections["replica"]) as on_replica:
        body = client.get("/api/analytics/summary/").json()
    return body["total_invocations"], len(on_replica)


def read() -> dict:
    user, _ = get_user_model().objects.get_or_create(username="replica-agent")
    client = APIClient()
    client.force_authenticate(user)
    record(0, 40, user)
    wait_for_replica()
    with connections["replica"].cursor() as cursor:
        cursor.execute("SELECT pg_wal_replay_pause()")
    record(40, 25, user)
    seen = {"primary_total": SkillMetrics.objects.using("default").aggregate(n=Sum("total_invocations"))["n"]}
    seen["api_total"], seen["api_queries_on_replica"] = summary(client)
    with CaptureQueriesContext(connections["replica"]) as on_replica:
        events = client.get("/api/events/").json()["results"]
    seen["event_list_size"], seen["event_list_queries_on_replica"] = len(events), len(on_replica)
    with transaction.atomic(), replica_reads():  # in a transaction: the primary's own view
        seen["in_transaction_total"] = SkillMetrics.objects.aggregate(n=Sum("total_invocations"))["n"]
    seen["readyz_while_paused"] = readyz(client)
    with connections["replica"].cursor() as cursor:
        cursor.execute("SELECT pg_wal_replay_resume()")
    wait_for_replica()
    seen["api_total_after_catching_up"], _ = summary(client)
    seen["readyz_caught_up"] = readyz(client)
    return seen


def readyz(client: APIClient) -> list:
    response = client.get("/readyz")
    return [response.status_code, response.json()["checks"].get("replica")]


def fallback() -> dict:
    user = get_user_model().objects.get(username="replica-agent")
    client = APIClient()
    client.force_authenticate(user)
    return {"api_total": client.get("/api/analytics/summary/").json()["total_invocations"], "readyz": readyz(client)}


if __name__ == "__main__":
    print(json.dumps({"read": read, "fallback": fallback}[sys.argv[1]]()))
