"""The single-event API's baseline: a bare DRF view that stores a posted event with one INSERT.

API-key auth and the same middleware as the app; no validation beyond what the INSERT checks,
no retry recognition, no roll-ups. It writes into a clone of the log (`bench/ingest.py` makes
it: partitions, foreign keys, the event-id registry trigger). Mounted only by the benchmark
(ROOT_URLCONF = "bare"), never by the app.
"""

from __future__ import annotations

import json

from django.db import connection
from django.urls import include, path
from django.utils import timezone
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import APIKeyAuthentication

TABLE = "bench_bare"
COLUMNS = [
    "event_id", "payload_sha256", "skill_id", "user_id", "session_id", "outcome", "completed", "latency_ms",
    "error_type", "workflow_path", "follow_up_actions", "input_hash", "tokens_used", "tokens_saved", "cost_usd",
    "state_snapshot", "artifacts", "project_path", "schema_version", "occurred_at", "received_at",
]  # fmt: skip
INSERT = f"INSERT INTO {TABLE} ({', '.join(COLUMNS)}) VALUES ({', '.join(['%s'] * len(COLUMNS))})"


class BareEventView(APIView):
    authentication_classes = [APIKeyAuthentication]
    permission_classes = [IsAuthenticated]

    def post(self, request):
        event = request.data
        values = {
            **event,
            "payload_sha256": "",
            "user_id": request.user.pk,
            "completed": event["outcome"] == "success",
            "input_hash": "",
            "follow_up_actions": json.dumps(event.get("follow_up_actions", [])),
            "state_snapshot": json.dumps(event.get("state_snapshot", {})),
            "artifacts": "{}",
            "project_path": "",
            "schema_version": 1,
            "received_at": timezone.now(),
        }
        with connection.cursor() as cursor:
            cursor.execute(INSERT, [values[column] for column in COLUMNS])
        return Response(status=201)


urlpatterns = [path("bench/bare-event/", BareEventView.as_view()), path("", include("skillsite.urls"))]
