"""Skills out to agents: available, access, content, bundle, and the caller's unlocks."""

import io
import uuid
import zipfile

import pytest

from skills.models import Skill, Tier
from skills.services.bundles import BundleFile
from skills.services.registry import (
    ACCESS_DISABLED,
    ACCESS_FOUNDATIONAL,
    ACCESS_LOCKED,
    ACCESS_REVOKED,
    is_skill_unlocked,
    skill_unlock_grant,
    skill_unlock_revoke,
    skill_version_publish,
)
from tests.factories import SkillFactory, UserFactory

pytestmark = pytest.mark.django_db


def published(skill_id: str, tier=Tier.STANDARD, content: str | None = None, files=None, **fields) -> Skill:
    skill = SkillFactory(skill_id=skill_id, tier=tier, **fields)
    skill_version_publish(
        skill=skill, version="1.0.0", content=content or f"---\nname: {skill_id}\n---\nbody\n", files=files
    )
    return skill


def test_available_lists_foundational_and_the_callers_unlocked_skills_only(user, user_client):
    published("basics", tier=Tier.FOUNDATIONAL)
    granted = published("granted")
    published("locked")
    published("off-foundational", tier=Tier.FOUNDATIONAL, enabled=False)
    revoked = published("revoked")
    skill_unlock_grant(user=user, skill_id=granted.skill_id, reason="course done")
    skill_unlock_grant(user=user, skill_id=revoked.skill_id)
    skill_unlock_revoke(user=user, skill_id=revoked.skill_id)
    skill_unlock_grant(user=UserFactory(), skill_id=published("theirs").skill_id)
    SkillFactory(skill_id="never-published", tier=Tier.FOUNDATIONAL)

    response = user_client.get("/api/skills/available/")

    assert response.status_code == 200
    rows = response.data["results"]
    assert [row["name"] for row in rows] == ["basics", "granted"]
    row = rows[1]
    assert row["version"] == "1.0.0"
    assert row["sha256"] == granted.versions.get().sha256
    assert row["content_url"] == "http://testserver/api/skills/granted/content/"
    assert row["bundle_url"] is None and row["bundle_sha256"] is None


def test_available_agrees_with_the_unlock_service(user):
    skills = [
        published("a", tier=Tier.FOUNDATIONAL),
        published("b"),
        published("c"),
        published("d", tier=Tier.FOUNDATIONAL, enabled=False),
        published("e", enabled=False),
    ]
    skill_unlock_grant(user=user, skill_id=skills[1].skill_id)
    skill_unlock_grant(user=user, skill_id=skills[4].skill_id)
    assert set(Skill.objects.available_to(user)) == {s for s in skills if is_skill_unlocked(user, s)}


def test_available_costs_the_same_queries_for_many_skills(user, user_client, django_assert_num_queries):
    for n in range(12):
        skill = published(f"skill-{n:02}", files={"scripts/run.sh": b"echo hi\n"} if n % 2 else None)
        skill_unlock_grant(user=user, skill_id=skill.skill_id)
    # count, the page of skills, the prefetch of their current versions, their running experiments (none)
    with django_assert_num_queries(4):
        response = user_client.get("/api/skills/available/")
    assert response.data["count"] == 12
    assert sum(row["bundle_url"] is not None for row in response.data["results"]) == 6


def test_access_says_why(user, user_client, admin_user):
    published("basics", tier=Tier.FOUNDATIONAL)
    granted = published("granted")
    skill_unlock_grant(user=user, skill_id=granted.skill_id, reason="passed the quiz", granted_by=admin_user)
    published("locked")
    revoked = published("revoked")
    skill_unlock_grant(user=user, skill_id=revoked.skill_id)
    skill_unlock_revoke(user=user, skill_id=revoked.skill_id)
    published("off", enabled=False)

    def access(skill_id):
        return user_client.get(f"/api/skills/{skill_id}/access/").data

    assert access("basics") == {
        "skill_id": "basics",
        "unlocked": True,
        "reason": ACCESS_FOUNDATIONAL,
        "experiment": None,  # no experiment running on it
    }
    granted_access = access("granted")
    assert granted_access["unlocked"] is True
    assert f"by {admin_user.username}: passed the quiz" in granted_access["reason"]
    assert access("locked") == {
        "skill_id": "locked",
        "unlocked": False,
        "reason": ACCESS_LOCKED.format(skill="locked"),
        "experiment": None,
    }
    assert access("revoked")["reason"] == ACCESS_REVOKED.format(skill="revoked")
    assert access("off")["reason"] == ACCESS_DISABLED.format(skill="off")


def test_content_is_markdown_with_its_sha256_as_etag_and_304_when_unchanged(user_client):
    skill = published("basics", tier=Tier.FOUNDATIONAL, content="---\nname: basics\n---\n# Basics\n")
    sha256 = skill.versions.get().sha256

    response = user_client.get("/api/skills/basics/content/", HTTP_ACCEPT="text/markdown")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/markdown; charset=utf-8"
    assert response["ETag"] == f'"{sha256}"'
    assert response.content.decode() == "---\nname: basics\n---\n# Basics\n"
    again = user_client.get("/api/skills/basics/content/", HTTP_IF_NONE_MATCH=f'"{sha256}"')
    assert again.status_code == 304 and again.content == b""
    stale = user_client.get("/api/skills/basics/content/", HTTP_IF_NONE_MATCH='"0000"')
    assert stale.status_code == 200


def test_content_of_an_earlier_version(user_client):
    skill = published("basics", tier=Tier.FOUNDATIONAL, content="v1")
    skill_version_publish(skill=skill, version="2.0.0", content="v2")
    assert user_client.get("/api/skills/basics/content/").content == b"v2"
    assert user_client.get("/api/skills/basics/content/?version=1.0.0").content == b"v1"
    assert user_client.get("/api/skills/basics/content/?version=9.9.9").status_code == 404


def test_locked_disabled_and_another_users_unlock_are_403_naming_why(user_client):
    skill_unlock_grant(user=UserFactory(), skill_id=published("theirs").skill_id)
    published("off", tier=Tier.FOUNDATIONAL, enabled=False)
    for skill_id, reason in [("theirs", ACCESS_LOCKED), ("off", ACCESS_DISABLED)]:
        for endpoint, accept in [("content", "text/markdown"), ("bundle", "application/zip"), ("content", "*/*")]:
            response = user_client.get(f"/api/skills/{skill_id}/{endpoint}/", HTTP_ACCEPT=accept)
            assert response.status_code == 403
            assert response.json()["detail"] == reason.format(skill=skill_id)


def test_bundle_is_a_zip_of_the_folder_with_its_digest_as_etag(user, user_client):
    files = [
        BundleFile.from_bytes("scripts/extract.py", b"print('hi')\n", executable=True),
        BundleFile.from_bytes("references/guide.md", b"# Guide\n"),
    ]
    skill = published("pdf", content="---\nname: pdf\n---\nUse scripts/extract.py\n", files=files)
    skill_unlock_grant(user=user, skill_id=skill.skill_id)
    version = skill.versions.get()

    response = user_client.get("/api/skills/pdf/bundle/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["ETag"] == f'"{version.bundle_sha256}"'
    assert response.streaming  # sent in blocks, never built in memory whole
    body = b"".join(response.streaming_content)
    archive = zipfile.ZipFile(io.BytesIO(body))
    assert sorted(archive.namelist()) == ["SKILL.md", "references/guide.md", "scripts/extract.py"]
    assert archive.read("scripts/extract.py") == b"print('hi')\n"
    assert (archive.getinfo("scripts/extract.py").external_attr >> 16) & 0o777 == 0o755
    assert (archive.getinfo("references/guide.md").external_attr >> 16) & 0o777 == 0o644
    again = b"".join(user_client.get("/api/skills/pdf/bundle/").streaming_content)
    assert again == body  # the same bytes every time
    assert user_client.get("/api/skills/pdf/bundle/", HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304


def test_unlocks_list_the_foundational_skills_too(user, user_client):
    SkillFactory(skill_id="basics", tier=Tier.FOUNDATIONAL)
    granted, revoked = SkillFactory(skill_id="granted"), SkillFactory(skill_id="revoked")
    skill_unlock_grant(user=user, skill_id=granted.skill_id, reason="earned")
    skill_unlock_grant(user=user, skill_id=revoked.skill_id)
    skill_unlock_revoke(user=user, skill_id=revoked.skill_id)
    skill_unlock_grant(user=UserFactory(), skill_id=SkillFactory(skill_id="theirs").skill_id)

    rows = {row["skill"]: row for row in user_client.get("/api/unlocks/").data["results"]}

    assert set(rows) == {"basics", "granted", "revoked"}
    assert rows["basics"]["unlocked"] is True and rows["basics"]["foundational"] is True
    assert rows["granted"]["unlock_reason"] == "earned" and rows["granted"]["unlocked"] is True
    assert rows["revoked"]["unlocked"] is False
    unlocked = user_client.get("/api/unlocks/?unlocked=true").data["results"]
    assert [row["skill"] for row in unlocked] == ["basics", "granted"]
    assert user_client.get("/api/unlocks/theirs/").status_code == 404


def test_agent_sessions_sum_their_requests_per_session_for_the_caller_only(
    user, user_client, django_assert_num_queries
):
    from decimal import Decimal

    from django.utils import timezone

    from skills.models import AgentApiRequest

    def request(owner, session, cost, tokens):
        AgentApiRequest.objects.create(
            user=owner,
            record_key=uuid.uuid4(),
            session_id=session,
            cost_usd=Decimal(cost),
            input_tokens=tokens,
            occurred_at=timezone.now(),
        )

    for n in range(5):
        request(user, f"s-{n}", "0.5", 100)
        request(user, f"s-{n}", "0.25", 50)
    request(UserFactory(), "s-0", "9", 9)
    # count of the sessions, the page of sums
    with django_assert_num_queries(2):
        response = user_client.get("/api/agent-sessions/")
    assert response.data["count"] == 5
    row = user_client.get("/api/agent-sessions/s-0/").data
    assert (row["api_requests"], row["input_tokens"], row["cost_usd"]) == (2, 150, "0.750000")


@pytest.mark.parametrize("skills", [2, 10])
def test_unlocks_cost_the_same_queries_for_any_number(user, user_client, django_assert_num_queries, skills):
    for n in range(skills):
        skill_unlock_grant(user=user, skill_id=SkillFactory(skill_id=f"granted-{n}").skill_id)
        SkillFactory(skill_id=f"basics-{n}", tier=Tier.FOUNDATIONAL)
    # count, the page of skills joined with the caller's unlock rows
    with django_assert_num_queries(2):
        response = user_client.get("/api/unlocks/")
    assert response.data["count"] == 2 * skills
