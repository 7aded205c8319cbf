"""The registry endpoints, the SKILLS_ENABLED switch, and the API foundation."""

import re

import pytest
from django.contrib.staticfiles import finders
from drf_spectacular.validation import validate_schema

from skills.api.common import SKILLS_DISABLED
from skills.models import Tier
from skills.services.registry import skill_unlock_grant, skill_version_publish
from tests.factories import SkillFactory, UserFactory, api_key_of

pytestmark = pytest.mark.django_db


def test_skills_list_shows_each_skill_with_its_current_version(user_client, django_assert_num_queries):
    for n in range(3):
        skill = SkillFactory(skill_id=f"skill-a{n}")
        skill_version_publish(skill=skill, version="1.0.0", content="a")
        skill_version_publish(skill=skill, version="1.1.0", content="b")
    # count, page of skills joined with metrics, prefetch of current versions
    with django_assert_num_queries(3):
        response = user_client.get("/api/skills/")
    assert response.status_code == 200
    assert response.data["count"] == 3
    assert {row["current_version"] for row in response.data["results"]} == {"1.1.0"}


def test_skills_list_filters_by_tier_category_and_enabled(user_client):
    SkillFactory(skill_id="found", tier=Tier.FOUNDATIONAL, category="docs")
    SkillFactory(skill_id="adv", tier=Tier.ADVANCED, category="data")
    SkillFactory(skill_id="off", tier=Tier.ADVANCED, category="data", enabled=False)

    def ids(query):
        return [row["skill_id"] for row in user_client.get(f"/api/skills/?{query}").data["results"]]

    assert ids("tier=foundational") == ["found"]
    assert ids("category=data") == ["adv", "off"]
    assert ids("enabled=false") == ["off"]


def test_skill_detail_has_the_current_version_and_metrics(user, user_client):
    skill = SkillFactory(skill_id="pdf-extract")
    skill_version_publish(skill=skill, version="1.0.0", content="hello", changelog="first")
    skill_unlock_grant(user=user, skill_id="pdf-extract", reason="the content is shown to those who may load it")
    response = user_client.get("/api/skills/pdf-extract/")
    assert response.status_code == 200
    assert response.data["current_version"]["version"] == "1.0.0"
    assert response.data["current_version"]["content"] == "hello"
    assert response.data["metrics"] is None


def test_unknown_skill_is_404(user_client):
    assert user_client.get("/api/skills/nope/").status_code == 404


def test_skill_versions_lists_every_version_newest_first(user_client):
    skill = SkillFactory(skill_id="code-review")
    for version in ["1.0.0", "1.1.0", "2.0.0"]:
        skill_version_publish(skill=skill, version=version, content=version)
    response = user_client.get("/api/skills/code-review/versions/")
    assert response.status_code == 200
    assert [v["version"] for v in response.data["results"]] == ["2.0.0", "1.1.0", "1.0.0"]
    assert [v["is_current"] for v in response.data["results"]] == [True, False, False]


def test_unlocks_are_the_callers_own(user, user_client):
    mine, theirs = SkillFactory(skill_id="mine"), SkillFactory(skill_id="theirs")
    skill_unlock_grant(user=user, skill_id=mine.skill_id, reason="earned")
    skill_unlock_grant(user=UserFactory(), skill_id=theirs.skill_id, reason="earned")
    response = user_client.get("/api/unlocks/")
    assert [row["skill"] for row in response.data["results"]] == ["mine"]
    assert response.data["results"][0]["unlock_reason"] == "earned"


def test_anonymous_requests_get_401(api_client):
    response = api_client.get("/api/skills/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_token_authentication_works(api_client, user):
    response = api_client.get("/api/skills/", HTTP_AUTHORIZATION=f"Token {api_key_of(user, 'read')}")
    assert response.status_code == 200


def test_skills_api_answers_503_when_skills_are_switched_off(user_client, settings):
    settings.SKILLS_ENABLED = False
    for url in ["/api/skills/", "/api/unlocks/"]:
        response = user_client.get(url)
        assert response.status_code == 503
        assert response.data["detail"] == SKILLS_DISABLED


def test_admin_shows_a_banner_when_skills_are_switched_off(client, admin_user, settings):
    client.force_login(admin_user)
    assert "skills-disabled-banner" not in client.get("/admin/").content.decode()
    settings.SKILLS_ENABLED = False
    assert "skills-disabled-banner" in client.get("/admin/").content.decode()


def test_schema_is_valid_openapi_3(api_client):
    response = api_client.get("/api/schema/?format=json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    validate_schema(schema)
    assert "/api/skills/{skill_id}/versions/" in schema["paths"]


def test_docs_page_uses_only_local_assets(api_client):
    response = api_client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    urls = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert urls, "the docs page should load its assets"
    for url in urls:
        assert not re.match(r"^(https?:)?//", url), f"{url} would leave the machine"
        if url.startswith("/static/"):
            assert finders.find(url.removeprefix("/static/")), f"{url} is not a local static file"
