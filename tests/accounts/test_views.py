"""The learner's API keys page: make a key (its secret shown on that answer only), list, revoke."""

import re

import pytest

from accounts.models import APIKey
from accounts.services import api_key_create
from accounts.views import KEY_REVOKED
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
SECRET = re.compile(r'<code class="secret" id="new-key">([^<]+)</code>')


@pytest.fixture
def learner_client(client, user):
    client.force_login(user)
    return client


def test_a_learner_makes_a_key_and_sees_its_secret_once(learner_client, user):
    response = learner_client.post(
        "/accounts/keys/", {"name": "laptop: OTLP", "scope": "ingest", "expires_in_days": "90"}
    )
    assert response.status_code == 201
    assert "no-store" in response["Cache-Control"]
    secret = SECRET.search(response.content.decode()).group(1)
    key = APIKey.objects.get()
    assert (key.user, key.name, key.scope) == (user, "laptop: OTLP", "ingest")
    assert key.expiry_date is not None
    assert APIKey.objects.matching(secret) == key
    again = learner_client.get("/accounts/keys/").content.decode()
    assert secret not in again and key.prefix in again and "laptop: OTLP" in again


def test_a_bad_key_form_is_a_400_naming_the_field_and_makes_nothing(learner_client):
    response = learner_client.post("/accounts/keys/", {"name": "", "scope": "root"})
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert set(errors) == {"name", "scope"}
    assert not APIKey.objects.exists()


def test_a_learner_revokes_a_key(learner_client, user):
    key, secret = api_key_create(user=user, name="old laptop", scope="write")
    response = learner_client.post(f"/accounts/keys/{key.prefix}/revoke/", follow=True)
    assert response.status_code == 200
    assert KEY_REVOKED.format(name="old laptop") in response.content.decode()
    assert APIKey.objects.get().revoked and APIKey.objects.matching(secret) is None


def test_another_learners_key_cannot_be_revoked_or_seen(learner_client):
    victim = UserFactory()
    key, secret = api_key_create(user=victim, name="victim's key", scope="write")
    assert learner_client.post(f"/accounts/keys/{key.prefix}/revoke/").status_code == 404
    assert "victim's key" not in learner_client.get("/accounts/keys/").content.decode()
    assert not APIKey.objects.get().revoked and APIKey.objects.matching(secret) == key


def test_keys_cannot_be_made_for_another_user_through_the_form(learner_client, user):
    victim = UserFactory()
    learner_client.post("/accounts/keys/", {"name": "x", "scope": "write", "user": victim.pk})
    assert APIKey.objects.get().user == user
    assert not APIKey.objects.filter(user=victim).exists()


def test_revoking_needs_a_post(learner_client, user):
    key, _ = api_key_create(user=user, name="x", scope="read")
    assert learner_client.get(f"/accounts/keys/{key.prefix}/revoke/").status_code == 405
    assert not APIKey.objects.get().revoked


def test_the_page_needs_a_login(client):
    response = client.get("/accounts/keys/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client.post("/accounts/keys/", {"name": "x", "scope": "write"}).status_code == 302
    assert not APIKey.objects.exists()


def test_the_page_reads_the_keys_in_one_query(learner_client, user, django_assert_num_queries):
    for n in range(5):
        api_key_create(user=user, name=f"key {n}", scope="read")
    # session, user, the keys
    with django_assert_num_queries(3):
        assert learner_client.get("/accounts/keys/").status_code == 200
