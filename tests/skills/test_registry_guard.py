"""Only operators write the registry (issue 24, point 3): what a learner's telemetry may not do.

Each test is the attack a learner can send — an event or feedback naming a skill or version the
registry does not hold — and asserts the refusal to register, that the registry is unchanged, and
where the report went instead (the staff list of unregistered skills).
"""

from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.test import override_settings

from skills.ingestion.events import parse_events
from skills.ingestion.record import usage_events_record
from skills.models import HeldUsageEvent, Skill, SkillVersion, UnregisteredSkill, UnregisteredStatus, UsageEvent
from skills.services.metrics import SKILL_NOT_REGISTERED
from skills.services.sync.folder import skills_sync_from_folder
from skills.services.unregistered import (
    unregistered_skill_dismiss,
    unregistered_skill_map,
    unregistered_skill_register,
)
from tests.factories import SkillFactory, SkillVersionFactory, UserFactory

from .telemetry_helpers import event_payload

SKILL_MD = """---
name: pdf-extract
description: Pulls text and tables out of PDF files.
metadata:
  version: "{version}"
---
Body of {version}.
"""


def registry_rows() -> tuple:
    return (
        sorted(Skill.objects.values_list("skill_id", "enabled")),
        sorted(SkillVersion.objects.values_list("skill_id", "version", "content", "is_current")),
    )


@pytest.fixture
def operator(db):
    user = UserFactory(username="operator")
    user.user_permissions.add(Permission.objects.get(codename="register_skills", content_type__app_label="skills"))
    return UserFactory._meta.model.objects.get(pk=user.pk)  # fresh: permissions are cached per instance


def test_a_learners_event_naming_an_unknown_skill_registers_nothing_and_is_held_for_staff(user_client):
    before = registry_rows()
    event = event_payload(0, skill_id="made-up-skill", skill_version="1.0.0")

    response = user_client.post("/api/events/", event, format="json")

    assert response.status_code == 201
    assert response.json() == {"received": 1, "created": 0, "duplicates": 0, "held": 1}
    assert registry_rows() == before
    assert not UsageEvent.objects.exists()
    listed = UnregisteredSkill.objects.get()
    assert (listed.name, listed.version, listed.uses, listed.status) == ("made-up-skill", "", 1, "pending")
    held = HeldUsageEvent.objects.get()
    assert str(held.event_id) == event["event_id"] and held.payload["skill_id"] == "made-up-skill"


def test_a_retried_held_event_is_held_and_counted_once(user_client):
    event = event_payload(0, skill_id="made-up-skill")
    user_client.post("/api/events/", event, format="json")

    response = user_client.post("/api/events/", event, format="json")

    assert response.status_code == 200
    assert response.json() == {"received": 1, "created": 0, "duplicates": 1, "held": 0}
    assert HeldUsageEvent.objects.count() == 1 and UnregisteredSkill.objects.get().uses == 1


def test_a_learners_unknown_version_is_kept_on_the_event_and_an_operator_sync_then_publishes_it_as_named(
    user_client, tmp_path: Path
):
    skill = SkillFactory(skill_id="pdf-extract")
    SkillVersionFactory(skill=skill, version="1.0.1", is_current=True)
    before = registry_rows()

    response = user_client.post(
        "/api/events/", event_payload(0, skill_id="pdf-extract", skill_version="1.0.2"), format="json"
    )

    assert response.status_code == 201 and response.json()["created"] == 1
    assert registry_rows() == before
    event = UsageEvent.objects.get()
    assert (event.skill_id, event.skill_version_id, event.reported_version) == ("pdf-extract", None, "1.0.2")
    listed = UnregisteredSkill.objects.get()
    assert (listed.name, listed.version, listed.uses) == ("pdf-extract", "1.0.2", 1)

    (tmp_path / "pdf-extract").mkdir()
    (tmp_path / "pdf-extract" / "SKILL.md").write_text(SKILL_MD.format(version="1.0.2"))
    skills_sync_from_folder(root=tmp_path)

    current = SkillVersion.objects.get(skill_id="pdf-extract", is_current=True)
    assert current.version == "1.0.2" and "Body of 1.0.2." in current.content


def test_an_operators_telemetry_still_registers_what_it_names(operator):
    usage_events_record(events=[event_payload(0, skill_id="new-skill", skill_version="2.0.0")], user=operator)

    assert Skill.objects.get(skill_id="new-skill").enabled is False
    assert SkillVersion.objects.filter(skill_id="new-skill", version="2.0.0", is_current=False).exists()
    assert UsageEvent.objects.get().skill_version.version == "2.0.0"
    assert not UnregisteredSkill.objects.exists()


def test_a_plugins_skill_is_never_merged_into_the_registered_skill_of_the_same_bare_name(operator):
    SkillFactory(skill_id="pdf")
    before = registry_rows()

    result = usage_events_record(
        events=[event_payload(0, skill_id="pdf", plugin="document-skills", marketplace="anthropic-agent-skills")],
        user=operator,
    )

    assert (result.created, result.held) == (0, 1)
    assert registry_rows() == before and not UsageEvent.objects.exists()
    listed = UnregisteredSkill.objects.get()
    assert (listed.name, listed.plugin, listed.marketplace) == (
        "document-skills:pdf",
        "document-skills",
        "anthropic-agent-skills",
    )


def test_staff_mapping_a_plugins_skill_releases_its_held_events_under_the_registered_skill(user, user_client):
    SkillFactory(skill_id="pdf")
    event = event_payload(0, skill_id="pdf", plugin="document-skills")
    user_client.post("/api/events/", event, format="json")
    listed = UnregisteredSkill.objects.get()

    released = unregistered_skill_map(unregistered=listed, skill=Skill.objects.get(skill_id="pdf"))

    assert released == 1 and not HeldUsageEvent.objects.exists()
    stored = UsageEvent.objects.get()
    assert (stored.skill_id, stored.reported_skill, stored.plugin, stored.user_id) == (
        "pdf",
        "document-skills:pdf",
        "document-skills",
        user.pk,
    )
    assert str(stored.event_id) == event["event_id"]
    # Later events of the mapped name count for the skill at once; the retry of the released one is recognised.
    assert user_client.post("/api/events/", event, format="json").json()["duplicates"] == 1
    later = user_client.post("/api/events/", event_payload(1, skill_id="pdf", plugin="document-skills"), format="json")
    assert later.json()["created"] == 1


@override_settings(SKILL_NAME_MAP={"document-skills:pdf": "pdf"})
def test_the_name_map_setting_maps_a_plugins_skill(user_client):
    SkillFactory(skill_id="pdf")

    response = user_client.post(
        "/api/events/", event_payload(0, skill_id="pdf", plugin="document-skills"), format="json"
    )

    assert response.json()["created"] == 1
    assert UsageEvent.objects.get().reported_skill == "document-skills:pdf"


def test_staff_registering_a_held_name_registers_it_disabled_and_releases_its_events(user_client):
    user_client.post("/api/events/", event_payload(0, skill_id="made-up-skill"), format="json")

    released = unregistered_skill_register(unregistered=UnregisteredSkill.objects.get())

    assert released == 1
    assert Skill.objects.get(skill_id="made-up-skill").enabled is False
    assert UsageEvent.objects.get().skill_id == "made-up-skill"
    assert UnregisteredSkill.objects.get().status == UnregisteredStatus.REGISTERED


def test_a_plugins_skill_cannot_be_registered_under_its_bare_name(user_client):
    SkillFactory(skill_id="pdf")
    user_client.post("/api/events/", event_payload(0, skill_id="pdf", plugin="document-skills"), format="json")
    before = registry_rows()

    with pytest.raises(Exception, match="map it to a registered skill"):
        unregistered_skill_register(unregistered=UnregisteredSkill.objects.get())

    assert registry_rows() == before and HeldUsageEvent.objects.count() == 1


def test_a_dismissed_name_keeps_its_held_events(user_client):
    user_client.post("/api/events/", event_payload(0, skill_id="made-up-skill"), format="json")

    unregistered_skill_dismiss(unregistered=UnregisteredSkill.objects.get())

    assert UnregisteredSkill.objects.get().status == UnregisteredStatus.DISMISSED
    assert HeldUsageEvent.objects.count() == 1 and not UsageEvent.objects.exists()


def test_a_learners_feedback_naming_an_unknown_skill_is_refused_and_registers_nothing(user_client):
    before = registry_rows()

    response = user_client.post("/api/feedback/", {"skill_id": "made-up-skill", "rating": 5}, format="json")

    assert response.status_code == 400
    assert SKILL_NOT_REGISTERED in str(response.json())
    assert registry_rows() == before


def test_an_event_without_the_agent_fields_hashes_as_it_did_before_they_existed():
    """A retry of an event stored before plugin, marketplace, skill_source and invocation_trigger
    existed carries the same payload hash (this one was computed by the code before them)."""
    event = {
        "event_id": "0b6c3f1e-2d4a-4c5e-9f7a-1a2b3c4d5e6f",
        "skill_id": "skill-0",
        "outcome": "success",
        "latency_ms": 120,
        "occurred_at": "2026-11-01T00:00:00+00:00",
    }

    parsed = parse_events(event, now=datetime(2026, 12, 6, tzinfo=UTC))[0]

    assert parsed.payload_sha256 == "acd35a9823974821c6cd5ca6cbf7f065edc6e08cd166b3ab85c38d24fde1baa5"
    with_plugin = parse_events({**event, "plugin": "p"}, now=datetime(2026, 12, 6, tzinfo=UTC))[0]
    assert with_plugin.payload_sha256 != parsed.payload_sha256


def test_the_admin_lists_unregistered_names_and_maps_one(admin_client, user_client):
    SkillFactory(skill_id="pdf")
    user_client.post("/api/events/", event_payload(0, skill_id="pdf", plugin="document-skills"), format="json")
    user_client.post("/api/events/", event_payload(1, skill_id="made-up-skill"), format="json")
    listed = UnregisteredSkill.objects.get(name="document-skills:pdf")

    page = admin_client.get("/admin/skills/unregisteredskill/")
    assert page.status_code == 200
    assert b"document-skills:pdf" in page.content and b"made-up-skill" in page.content

    response = admin_client.post(f"/admin/skills/unregisteredskill/{listed.pk}/change/", {"mapped_to": "pdf"})

    assert response.status_code == 302
    assert UnregisteredSkill.objects.get(pk=listed.pk).status == UnregisteredStatus.MAPPED
    assert UsageEvent.objects.get().skill_id == "pdf"
