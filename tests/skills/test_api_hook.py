"""`POST /api/agent-hook/`: the hook's payload of a Skill call, joined to its use — and what an
attacker's payloads get: a 4xx naming the field, nothing stored, the registry untouched."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from skills.intake.hook import NO_SKILL_NAME, NO_TOOL_USE_ID
from skills.intake.join import skill_uses_release_due
from skills.models import HeldUsageEvent, Skill, SkillUse, UsageEvent
from tests.factories import SkillFactory, UserFactory

from . import claude_session as session

URL = "/api/agent-hook/"


def release_all() -> None:
    skill_uses_release_due(now=timezone.now() + timedelta(days=1))


def test_a_skill_calls_payload_is_joined_and_counted_once(user, user_client):
    SkillFactory(skill_id="pdf")
    payload = session.hook_payloads()[0]

    first = user_client.post(URL, payload, format="json")
    again = user_client.post(URL, payload, format="json")
    release_all()

    assert (first.status_code, first.json()) == (202, {"joined": True, "recorded": 0})
    assert again.status_code == 200 and again.json()["joined"] is False
    event = UsageEvent.objects.get()
    assert (event.skill_id, event.outcome, event.user_id, event.project_path) == (
        "pdf",
        "success",
        user.pk,
        "/home/dev/report",
    )


def test_a_failed_call_keeps_its_error_text(user_client):
    SkillFactory(skill_id="pdf")
    payload = {**session.hook_payloads()[0], "tool_response": {"success": False, "error": "Unknown skill: pdf"}}

    user_client.post(URL, payload, format="json")
    release_all()

    assert (UsageEvent.objects.get().outcome, UsageEvent.objects.get().error_type) == ("error", "Unknown skill: pdf")


def test_another_tool_is_ignored(user_client):
    response = user_client.post(URL, {**session.hook_payloads()[0], "tool_name": "Bash"}, format="json")

    assert (response.status_code, response.json()) == (200, {"joined": False, "recorded": 0})
    assert not SkillUse.objects.exists()


@pytest.mark.parametrize(
    "change, message",
    [
        ({"tool_use_id": None}, NO_TOOL_USE_ID),
        ({"tool_use_id": "x" * 256}, NO_TOOL_USE_ID),
        ({"tool_input": {"skill": "no such/skill!"}}, NO_SKILL_NAME),
        ({"tool_input": {"skill": "custom_skill"}}, NO_SKILL_NAME),
        ({"session_id": "a\x00b"}, "session_id"),
        ({"session_id": "s" * 256}, "session_id"),
        ({"cwd": ["not", "a", "path"]}, "cwd"),
    ],
)
def test_a_bad_payload_is_refused_naming_the_field_and_nothing_is_stored(user_client, change, message):
    response = user_client.post(URL, {**session.hook_payloads()[0], **change}, format="json")

    assert response.status_code == 400
    assert message in response.json()["detail"]
    assert not SkillUse.objects.exists() and not UsageEvent.objects.exists()


def test_a_payload_that_is_not_an_object_is_refused(user_client):
    response = user_client.post(URL, ["not", "an", "object"], format="json")

    assert response.status_code == 400 and not SkillUse.objects.exists()


def test_without_a_key_nothing_is_stored(api_client, db):
    response = api_client.post(URL, session.hook_payloads()[0], format="json")

    assert response.status_code in (401, 403) and not SkillUse.objects.exists()


def test_a_learners_hook_naming_an_unknown_skill_registers_nothing(user_client):
    before = list(Skill.objects.values_list("skill_id", flat=True))

    user_client.post(URL, {**session.hook_payloads()[0], "tool_input": {"skill": "made-up"}}, format="json")
    release_all()

    assert list(Skill.objects.values_list("skill_id", flat=True)) == before
    assert HeldUsageEvent.objects.get().unregistered.name == "made-up" and not UsageEvent.objects.exists()


def test_the_same_tool_use_id_from_two_users_is_two_uses(user_client):
    SkillFactory(skill_id="pdf")
    other = APIClient()
    other.force_authenticate(UserFactory())

    user_client.post(URL, session.hook_payloads()[0], format="json")
    response = other.post(URL, session.hook_payloads()[0], format="json")
    release_all()

    assert response.status_code == 202
    assert UsageEvent.objects.count() == 2 and SkillUse.objects.count() == 2
