"""A database worth fuzzing: what the schema tests (schemathesis, the generated client) run over.

Skills synced from real-looking folders (tests/fixtures/skills: SKILL.md with scripts/ and
references/), usage events folded into the metrics, feedback, emergence candidates, agent
sessions, a roadmap from a catalog goal and one from a generic goal, a started milestone and
practice — all for the token's user, through the services, as the app itself would write them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from django.utils import timezone

from roadmaps.models import MilestoneProgress
from roadmaps.services.milestones import milestone_start
from roadmaps.services.practice import practice_activity_log
from skills.ingestion.fold import usage_rollups_fold
from skills.ingestion.record import usage_events_record
from skills.models import AgentApiRequest
from skills.services.metrics import feedback_record
from skills.services.registry import skill_unlock_grant
from skills.services.sync.folder import skills_sync_from_folder
from tests.factories import EmergenceCandidateFactory, UserFactory, api_key_with_secret, make_roadmap

SKILLS_FOLDER = Path(__file__).parent / "fixtures" / "skills"
OUTCOMES = ("success", "success", "failure", "error", "abandoned")
# The seeded user's API key (scope write), fixed so that tests/schemathesis.toml can send it as explicit auth.
TOKEN_KEY = "fuzzer00.5c4e6a1f0d2b49e8a7c3f9d1b6e0a2c4"


@dataclass
class Seeded:
    user: object
    token: str
    roadmap_ids: list[str]


def seed_api_data() -> Seeded:
    user = UserFactory(username="fuzzer")
    token = TOKEN_KEY
    api_key_with_secret(user, TOKEN_KEY)
    report = skills_sync_from_folder(root=SKILLS_FOLDER)
    assert not report.failures, report.failures
    skill_unlock_grant(user=user, skill_id="csv-report", reason="seeded for the schema tests")
    _events_and_feedback(user)
    for n, members in enumerate((["pdf-extract", "csv-report"], ["csv-report", "commit-message"])):
        EmergenceCandidateFactory(skills=members, status=("review", "monitoring")[n])
    _agent_requests(user)
    catalog = make_roadmap(user, query="learn to juggle")
    generic = make_roadmap(user, query="learn to ride a unicycle")
    progress = MilestoneProgress.objects.filter(deconstruction=generic.deconstruction).order_by("milestone_id")
    milestone_start(progress=progress[0])
    practice_activity_log(progress=progress[1], activity_type="drill", title="Ten minutes", reps=1, completion_time=10)
    return Seeded(user=user, token=token, roadmap_ids=[str(catalog.pk), str(generic.pk)])


def _events_and_feedback(user) -> None:
    now = timezone.now()
    events = [
        {
            "event_id": str(uuid.uuid4()),
            "skill_id": skill_id,
            "outcome": OUTCOMES[n % len(OUTCOMES)],
            "session_id": f"session-{n // 3}",
            "latency_ms": 100 + 40 * n,
            "workflow_path": "load/parse/answer",
            "tokens_used": 800 + n,
            "cost_usd": "0.0042",
            "occurred_at": (now - timedelta(hours=n)).isoformat(),
        }
        for n, skill_id in enumerate(["pdf-extract", "csv-report", "commit-message"] * 5)
    ]
    usage_events_record(events=events, user=user)
    usage_rollups_fold()
    feedback_record(user=user, skill_id="pdf-extract", rating=4, tags=["fast"], notes="Tables came out right.")
    feedback_record(user=user, skill_id="csv-report", event_id=events[1]["event_id"], notes="No rating.")


def _agent_requests(user) -> None:
    now = timezone.now()
    for n in range(3):
        AgentApiRequest.objects.create(
            user=user, record_key=uuid.uuid4(), session_id="agent-session-1", model="claude-sonnet",
            input_tokens=1000 * n, output_tokens=200, cost_usd=Decimal("0.012"), occurred_at=now - timedelta(minutes=n),
        )  # fmt: skip
