"""Run by tests/test_fleet.py from the test's side of the network, with DATABASE_URL naming the
fleet's primary; prints what it did or saw as one JSON line.

`prepare`: an agent with an ingest key and a pull key, an admin with a password, a foundational skill to pull, and
the scheduled fold disabled (the fold host is the only folder, so its absence shows).
`stored`: the agent's stored event ids, how many are stored more than once, the fold queue's length.
`snapshot`: every roll-up row, as comparable values (before and after `rebuild_metrics`).
`collectstatic`: the static files and their manifest in STATIC_ROOT, as the web hosts' production
storage reads them, without the compressed copies whitenoise adds (a minute of CPU; the same names
are served without them).
"""

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "skillsite.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import transaction  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import override_settings  # noqa: E402
from django_celery_beat.models import PeriodicTask  # noqa: E402

from accounts.scopes import Scope  # noqa: E402
from accounts.services import api_key_create  # noqa: E402
from skills.models import Job, Skill, Tier, UsageEvent, UsageEventPending  # noqa: E402
from skills.services.registry import skill_version_publish  # noqa: E402
from tests.skills.telemetry_helpers import aggregates_snapshot  # noqa: E402

AGENT, ADMIN, SKILL = "fleet-agent", "fleet-admin", "fleet-basics"
TELEMETRY_SKILLS = ["skill-0", "skill-1", "skill-2"]  # what tests.skills.telemetry_helpers.event_payload names


def prepare() -> dict:
    password = os.environ["FLEET_ADMIN_PASSWORD"]
    agent, _ = get_user_model().objects.get_or_create(username=AGENT)
    get_user_model().objects.create_superuser(ADMIN, f"{ADMIN}@example.com", password)
    with transaction.atomic():
        skill = Skill.objects.create(
            skill_id=SKILL, display_name="Fleet basics", description="Pulled by the fleet test.",
            tier=Tier.FOUNDATIONAL, enabled=True,
        )  # fmt: skip
        skill_version_publish(skill=skill, content=f"---\nname: {SKILL}\ndescription: Pulled.\n---\n# Basics\n")
        for skill_id in TELEMETRY_SKILLS:  # registered by staff: a learner's events count only for those
            Skill.objects.create(skill_id=skill_id, display_name=skill_id, description="Used by the fleet's agents.")
    disabled = PeriodicTask.objects.filter(task=f"skills.{Job.FOLD_ROLLUPS}").update(enabled=False)
    _key, ingest_key = api_key_create(user=agent, name="fleet agent's telemetry", scope=Scope.INGEST)
    _key, pull_key = api_key_create(user=agent, name="fleet agent's pull client", scope=Scope.PULL)
    return {"ingest_key": ingest_key, "pull_key": pull_key, "fold_schedules_disabled": disabled}


def stored() -> dict:
    events = UsageEvent.objects.filter(user__username=AGENT)
    repeated = events.values("event_id").annotate(n=Count("id")).filter(n__gt=1).count()
    return {
        "event_ids": [str(event_id) for event_id in events.values_list("event_id", flat=True)],
        "stored_more_than_once": repeated,
        "queued": UsageEventPending.objects.count(),
    }


def snapshot() -> dict:
    return aggregates_snapshot()


def collectstatic() -> dict:
    manifest_only = {**settings.STORAGES, "staticfiles": {"BACKEND": MANIFEST_STORAGE}}
    with override_settings(STORAGES=manifest_only):
        call_command("collectstatic", interactive=False, verbosity=0)
    return {"static_root": str(settings.STATIC_ROOT)}


MANIFEST_STORAGE = "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"
COMMANDS = {"prepare": prepare, "stored": stored, "snapshot": snapshot, "collectstatic": collectstatic}

if __name__ == "__main__":
    print(json.dumps(COMMANDS[sys.argv[1]](), default=str))
