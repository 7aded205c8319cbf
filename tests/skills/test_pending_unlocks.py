"""Unlocks granted before their skill is registered: pending until a sync, telemetry, feedback or
anything else registers the skill, then effective exactly like any other unlock."""

import uuid
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from skills.models import Skill, SkillUnlock, Tier
from skills.services.registry import (
    ACCESS_DISABLED,
    SKILL_ID_INVALID,
    is_skill_unlocked,
    skill_unlock_grant,
    skill_unlock_revoke,
)
from skills.services.sync.folder import skills_sync_from_folder
from tests.factories import SkillFactory, UserFactory

pytestmark = pytest.mark.django_db

SQL_OPTIMIZE = """\
---
name: sql-optimize
description: Rewrites slow SQL queries; use when a query plan shows a sequential scan.
metadata:
  version: "1.0.0"
  tier: advanced
---
Read the plan first.
"""


def unlocked_rows(client) -> dict[str, dict]:
    return {row["skill"]: row for row in client.get("/api/unlocks/").data["results"]}


def available_names(client) -> list[str]:
    return [row["name"] for row in client.get("/api/skills/available/").data["results"]]


def sync_sql_optimize(tmp_path: Path) -> None:
    folder = tmp_path / "skills" / "sql-optimize"
    folder.mkdir(parents=True)
    (folder / "SKILL.md").write_text(SQL_OPTIMIZE)
    report = skills_sync_from_folder(root=tmp_path / "skills")
    assert (report.created, report.failed) == (1, 0), report.summary()


def test_an_unlock_may_name_a_skill_not_registered_yet_and_stays_pending(user, user_client):
    unlock = skill_unlock_grant(user=user, skill_id="sql-optimize", reason="roadmap: SQL joins mastered")

    assert (unlock.skill_id, unlock.unlocked, unlock.granted_by) == ("sql-optimize", True, None)
    assert list(SkillUnlock.objects.pending()) == [unlock]
    assert not SkillUnlock.objects.active().exists()
    assert "sql-optimize" not in unlocked_rows(user_client)
    assert available_names(user_client) == []


def test_a_pending_unlock_takes_effect_when_the_skill_is_synced(user, user_client, tmp_path):
    skill_unlock_grant(user=user, skill_id="sql-optimize", reason="roadmap: SQL joins mastered")
    other = UserFactory()

    sync_sql_optimize(tmp_path)

    assert available_names(user_client) == ["sql-optimize"]
    row = unlocked_rows(user_client)["sql-optimize"]
    assert (row["unlocked"], row["unlock_reason"]) == (True, "roadmap: SQL joins mastered")
    skill = Skill.objects.get(pk="sql-optimize")
    assert is_skill_unlocked(user, skill).reason.endswith("by the system: roadmap: SQL joins mastered")
    assert not is_skill_unlocked(other, skill)
    assert list(Skill.objects.available_to(user)) == [skill]
    assert not SkillUnlock.objects.pending().exists()


def test_a_pending_unlock_takes_effect_when_an_operators_telemetry_registers_the_skill(
    user, user_registers_skills, user_client
):
    skill_unlock_grant(user=user, skill_id="sql-optimize", reason="earned")
    event = {"event_id": str(uuid.uuid4()), "skill_id": "sql-optimize", "outcome": "success"}

    assert user_client.post("/api/events/", event, format="json").status_code == 201

    # Registered by telemetry, the skill is disabled: the unlock counts, and the switch says why it is not loadable.
    assert unlocked_rows(user_client)["sql-optimize"]["unlocked"] is True
    access = user_client.get("/api/skills/sql-optimize/access/").data
    assert (access["unlocked"], access["reason"]) == (False, ACCESS_DISABLED.format(skill="sql-optimize"))
    Skill.objects.filter(pk="sql-optimize").update(enabled=True)
    assert user_client.get("/api/skills/sql-optimize/access/").data["unlocked"] is True


def test_a_pending_unlock_takes_effect_when_an_operators_feedback_registers_the_skill(
    user, user_registers_skills, user_client
):
    skill_unlock_grant(user=user, skill_id="sql-optimize", reason="earned")
    response = user_client.post("/api/feedback/", {"skill_id": "sql-optimize", "rating": 4}, format="json")
    assert response.status_code == 201
    assert SkillUnlock.objects.active().get().skill_id == "sql-optimize"


def test_a_revoked_pending_unlock_stays_locked_once_registered(user, user_client, tmp_path):
    skill_unlock_grant(user=user, skill_id="sql-optimize", reason="earned")
    skill_unlock_revoke(user=user, skill_id="sql-optimize", reason="granted by mistake")

    sync_sql_optimize(tmp_path)

    assert available_names(user_client) == []
    assert unlocked_rows(user_client)["sql-optimize"]["unlocked"] is False


def test_granting_twice_before_registration_keeps_one_row_with_the_latest_reason(user):
    skill_unlock_grant(user=user, skill_id="sql-optimize", reason="first")
    skill_unlock_grant(user=user, skill_id="sql-optimize", reason="second")
    assert list(SkillUnlock.objects.values_list("skill_id", "unlock_reason")) == [("sql-optimize", "second")]


@pytest.mark.parametrize("skill_id", ["", "sql optimize", "x" * 101, "sql/optimize", None])
def test_a_malformed_skill_id_is_refused_naming_the_field_and_nothing_is_written(user, skill_id):
    with pytest.raises(ValidationError) as error:
        skill_unlock_grant(user=user, skill_id=skill_id, reason="earned")
    assert error.value.message_dict == {"skill_id": [SKILL_ID_INVALID]}
    assert not SkillUnlock.objects.exists()


def test_registered_skills_are_granted_as_before(user):
    skill = SkillFactory(tier=Tier.EXPERT)
    unlock = skill_unlock_grant(user=user, skill_id=skill.skill_id, reason="earned")
    assert unlock.skill == skill
    assert is_skill_unlocked(user, skill)
    assert not SkillUnlock.objects.pending().exists()


def test_the_database_refuses_an_empty_skill_id_and_a_second_row_for_a_pair(user):
    SkillUnlock.objects.create(user=user, skill_id="not-yet")
    with pytest.raises(IntegrityError), transaction.atomic():
        SkillUnlock.objects.create(user=user, skill_id="not-yet")
    with pytest.raises(IntegrityError), transaction.atomic():
        SkillUnlock.objects.create(user=user, skill_id="")


def test_deleting_a_skill_deletes_its_unlocks(user):
    skill = SkillFactory()
    skill_unlock_grant(user=user, skill_id=skill.skill_id, reason="earned")
    skill.delete()
    assert not SkillUnlock.objects.exists()
