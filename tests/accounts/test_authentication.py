"""API keys on the wire: `Token <key>` and `Bearer <key>` on every endpoint, 401 for a key that is
unknown, revoked, expired or whose account is inactive, and the last use recorded."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.authentication import KEY_HEADER_MALFORMED, KEY_INVALID
from accounts.models import APIKey
from accounts.services import api_key_create, api_key_revoke
from roadmaps.models import Roadmap
from skills.models import UsageEvent
from tests.factories import SkillFactory, api_key_of, make_roadmap
from tests.skills.telemetry_helpers import event_payload

pytestmark = pytest.mark.django_db


def client_with(header: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    return client


@pytest.mark.parametrize("keyword", ["Token", "Bearer", "bearer", "TOKEN"])
def test_both_keywords_work_on_reads_and_writes(user, keyword):
    make_roadmap(user)
    client = client_with(f"{keyword} {api_key_of(user)}")
    assert client.get("/api/roadmaps/").data["count"] == 1
    event = event_payload(1)
    SkillFactory(skill_id=event["skill_id"])  # learners' events do not register skills
    assert client.post("/api/events/", event, format="json").status_code == 201
    assert client.get("/api/skills/").status_code == 200
    assert UsageEvent.objects.get(event_id=event["event_id"]).user == user


def test_the_last_use_is_recorded(user):
    key, secret = api_key_create(user=user, name="x", scope="read")
    assert key.last_used_at is None
    client_with(f"Bearer {secret}").get("/api/roadmaps/")
    assert APIKey.objects.get(pk=key.pk).last_used_at is not None


def test_a_revoked_key_is_401_and_writes_nothing(user):
    key, secret = api_key_create(user=user, name="leaked", scope="write")
    api_key_revoke(key=key)
    client = client_with(f"Token {secret}")
    response = client.post("/api/deconstructions/", {"user_query": "learn to juggle"}, format="json")
    assert response.status_code == 401 and response.data["detail"] == KEY_INVALID
    assert client.post("/api/events/", event_payload(1), format="json").status_code == 401
    assert not Roadmap.objects.exists() and not UsageEvent.objects.exists()


def test_an_expired_key_is_401(user):
    key, secret = api_key_create(user=user, name="x", scope="write", expires_at=timezone.now() + timedelta(hours=1))
    APIKey.objects.filter(pk=key.pk).update(expiry_date=timezone.now() - timedelta(seconds=1))
    assert client_with(f"Bearer {secret}").get("/api/roadmaps/").status_code == 401


def test_a_key_of_an_inactive_account_is_401(user):
    secret = api_key_of(user)
    user.is_active = False
    user.save()
    response = client_with(f"Token {secret}").post("/api/events/", event_payload(1), format="json")
    assert response.status_code == 401 and not UsageEvent.objects.exists()


@pytest.mark.parametrize(
    "header",
    ["Token", "Bearer a b", "Token not-a-key", "Bearer abcdefgh.guessed-0123456789abcdef", "Token \u00e9t\u00e9"],
)
def test_a_malformed_or_unknown_key_is_401_with_a_challenge(user, header):
    response = client_with(header).post("/api/events/", event_payload(1), format="json")
    assert response.status_code == 401 and response["WWW-Authenticate"] == "Token"
    assert response.data["detail"] in {KEY_HEADER_MALFORMED, KEY_INVALID}
    assert not UsageEvent.objects.exists()


def test_another_scheme_is_ignored_so_the_request_is_anonymous(user):
    response = client_with(f"Basic {api_key_of(user)}").get("/api/roadmaps/")
    assert response.status_code == 401
