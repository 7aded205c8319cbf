"""A typed client generated from the schema (openapi-python-client, into a temporary folder) drives
the API against a live server: the schema is usable, not just valid. The OTLP endpoint's protobuf
body and the bundle's zip answer are left out by the generator (it reads JSON only), with a warning."""

from __future__ import annotations

import importlib
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from roadmaps.models import PracticeActivity
from tests.schema_seed import seed_api_data

GENERATOR = Path(sys.executable).with_name("openapi-python-client")
PACKAGE = "skillsite_client"


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    """The generated package, imported; its modules are forgotten afterwards."""
    folder = tmp_path_factory.mktemp("generated")
    schema, config = folder / "schema.json", folder / "config.yaml"
    call_command("spectacular", format="openapi-json", file=str(schema))
    config.write_text("post_hooks: []\n")  # no formatter run over the generated code
    subprocess.run(
        [str(GENERATOR), "generate", "--path", str(schema), "--meta", "none", "--config", str(config),
         "--output-path", str(folder / PACKAGE)],
        check=True, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    sys.path.insert(0, str(folder))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(folder))
        for name in [name for name in sys.modules if name == PACKAGE or name.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


def _module(name: str):
    return importlib.import_module(f"{PACKAGE}.{name}")


@pytest.mark.django_db(transaction=True)
def test_a_generated_client_lists_skills_posts_events_starts_a_roadmap_and_logs_practice(api, live_server):
    seeded = seed_api_data()
    models = _module("models")
    client = _module("client").AuthenticatedClient(base_url=live_server.url, token=seeded.token, prefix="Token")

    skills = _module("api.skills.skills_list").sync(client=client)
    assert {"pdf-extract", "csv-report", "commit-message"} <= {skill.skill_id for skill in skills.results}

    now = timezone.now()
    batch = [
        models.EventIn(
            event_id=uuid.uuid4(),
            skill_id="csv-report",
            outcome=models.EventInOutcome.SUCCESS,
            latency_ms=120 + n,
            cost_usd=cost,
            occurred_at=now - timedelta(minutes=n),
            session_id="typed-client",
        )  # fmt: skip
        for n, cost in enumerate(["0.0042", 0.0013])  # cost_usd: a decimal string or a number
    ]
    recorded = _module("api.events.events_create").sync(client=client, body=batch)
    assert (recorded.received, recorded.created, recorded.duplicates) == (2, 2, 0)

    goal = models.RoadmapFromGoalRequest(user_query="learn to knit", skill_type=models.SkillTypeEnum.PHYSICAL)
    roadmap = _module("api.roadmaps.roadmaps_create").sync(client=client, body=goal)
    assert isinstance(roadmap, models.RoadmapCreated) and roadmap.progress.percent == 0
    first = roadmap.levels[0].milestones[0]

    session = models.PracticeActivityRequest(
        milestone_progress=first.progress.id, activity_type=models.ActivityTypeEnum.DRILL, title="First rows", reps=1,
        completion_time=15,
    )  # fmt: skip
    logged = _module("api.practice_activities.practice_activities_create").sync(client=client, body=session)
    assert isinstance(logged, models.PracticeActivity) and logged.completed
    assert logged.progress.practice_attempts == 1 and logged.progress.status == models.MilestoneStatusEnum.IN_PROGRESS
    assert PracticeActivity.objects.filter(milestone_progress_id=first.progress.id).count() == 1

    refused = _module("api.roadmaps.roadmaps_create").sync_detailed(client=client, body=goal)
    assert refused.status_code == 409 and refused.parsed.existing_roadmap == roadmap.id  # the error shape, typed
