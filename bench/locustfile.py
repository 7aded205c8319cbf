"""Load profile for bench/load.py: agents posting events, learners reading pages.

Bounded by the runner (--run-time); every request goes to the --host given, on 127.0.0.1.
Credentials come from the environment that bench/load.py sets.
"""

import os
import random
import uuid
from datetime import UTC, datetime

from locust import HttpUser, between, task

TOKEN = os.environ["LOAD_TOKEN"]
LEARNER_PAGES = [p for p in os.environ.get("LOAD_LEARNER_PAGES", "").split(",") if p]


def event() -> dict:
    outcome = random.choice(["success"] * 8 + ["failure", "error"])
    return {
        "event_id": str(uuid.uuid4()),
        "skill_id": f"load-skill-{random.randrange(20)}",
        "outcome": outcome,
        "session_id": f"load-session-{random.randrange(5000)}",
        "latency_ms": random.randrange(20, 3000),
        "error_type": "Timeout" if outcome == "error" else "",
        "workflow_path": random.choice(["plan/execute", "quick", "search/read/answer"]),
        "tokens_used": random.randrange(100, 4000),
        "cost_usd": "0.0012",
        "occurred_at": datetime.now(UTC).isoformat(),
    }


class Agent(HttpUser):
    """An agent platform: single events, batches, and an analytics read now and then."""

    weight = 3
    wait_time = between(0.05, 0.2)

    def on_start(self):
        self.client.headers["Authorization"] = f"Token {TOKEN}"

    @task(6)
    def single_event(self):
        self.client.post("/api/events/", json=event(), name="POST /api/events/ (1 event)")

    @task(2)
    def batch(self):
        self.client.post("/api/events/", json=[event() for _ in range(100)], name="POST /api/events/ (100 events)")

    @task(1)
    def summary(self):
        self.client.get("/api/analytics/summary/", name="GET /api/analytics/summary/")


class Learner(HttpUser):
    """A learner reading their pages (logged in through the session cookie bench/load.py made)."""

    weight = 1
    wait_time = between(0.2, 0.5)

    def on_start(self):
        self.client.cookies.set("sessionid", os.environ["LOAD_SESSION"])

    @task
    def page(self):
        path = random.choice(LEARNER_PAGES or ["/api/skills/"])
        self.client.get(path, name=f"GET {path} (learner)")
