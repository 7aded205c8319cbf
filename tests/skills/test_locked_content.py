"""Issue 24, point 2: locked means locked everywhere. A skill the caller may not load (locked,
revoked or disabled) shows its name and metadata, never its SKILL.md or files: every operation of
/api/schema/ is called as a learner without the unlock, and no answer carries the content; staff,
and a learner holding the unlock, read it."""

import io
import zipfile

import pytest
from rest_framework.test import APIClient

from skills.models import SkillVersion
from skills.services.registry import skill_unlock_grant, skill_unlock_revoke, skill_version_publish
from tests.factories import SkillFactory, UserFactory, make_roadmap

pytestmark = pytest.mark.django_db

LOCKED = "security-audit"
MARKER = "LOCKED-SKILL-BODY-7f3a"
FILE_MARKER = "LOCKED-SKILL-SCRIPT-9c1e"
METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture
def locked_skill():
    skill = SkillFactory(skill_id=LOCKED, tier="advanced")
    for version in ("1.0.0", "1.1.0"):
        skill_version_publish(
            skill=skill, version=version, content=f"---\nname: {LOCKED}\n---\n{MARKER} {version}\n",
            files={"scripts/audit.sh": f"echo {FILE_MARKER}\n".encode()},
        )  # fmt: skip
    return skill


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def text_of(response) -> str:
    body = getattr(response, "content", b"") or b""
    if response.get("Content-Type", "").startswith("application/zip"):
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            body = b"".join(archive.read(name) for name in archive.namelist())
    return body.decode("utf-8", errors="replace")


def path_values(client: APIClient, path: str) -> dict[str, str]:
    """Each path parameter: the locked skill for a skill id, else an object of the caller's own
    (read from its collection's list), else a value that names nothing."""
    values = {}
    collection = path.split("{", 1)[0]
    for name in [part.split("}", 1)[0] for part in path.split("{")[1:]]:
        if name in ("skill_id", "skill"):
            values[name] = LOCKED
            continue
        values[name] = "0"
        listed = client.get(collection)
        if listed.status_code == 200 and listed.get("Content-Type", "").startswith("application/json"):
            rows = listed.json()["results"] if isinstance(listed.json(), dict) else listed.json()
            if rows and name in rows[0]:
                values[name] = str(rows[0][name])
    return values


def request_bodies(operation: dict) -> list[dict]:
    """The schema's own examples of the body, and a body naming the locked skill."""
    media = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
    examples = [example["value"] for example in media.get("examples", {}).values() if "value" in example]
    return [*examples, {"skill_id": LOCKED, "skill": LOCKED, "rating": 5}]


def every_operation(client: APIClient):
    schema = client.get("/api/schema/?format=json").json()
    operations = [
        (path, method, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]
    return sorted(operations, key=lambda op: op[1] == "delete")  # deletes last: the rest read what they remove


def test_no_operation_of_the_schema_shows_a_learner_a_locked_skills_content(locked_skill):
    learner = UserFactory()
    make_roadmap(learner)
    client = client_for(learner)
    assert MARKER not in client.get("/api/schema/?format=json").content.decode()
    called = 0
    for path, method, operation in every_operation(client):
        url = path.format(**path_values(client, path))
        queries = ["", "?version=1.0.0", f"?skill={LOCKED}"] if method == "get" else [""]
        bodies = request_bodies(operation) if method in ("post", "put", "patch") else [None]
        for query in queries:
            for body in bodies:
                response = getattr(client, method)(url + query, body, format="json")
                called += 1
                text = text_of(response)
                where = (method.upper(), url + query, response.status_code)
                assert MARKER not in text and FILE_MARKER not in text, where
    assert called > 40  # the walk reached the whole schema


@pytest.mark.parametrize("lock", ["never unlocked", "revoked", "disabled"])
def test_detail_and_versions_hide_the_content_of_a_skill_the_learner_may_not_load(locked_skill, lock):
    learner = UserFactory()
    if lock == "revoked":
        skill_unlock_grant(user=learner, skill_id=LOCKED, reason="trial")
        skill_unlock_revoke(user=learner, skill_id=LOCKED, reason="ended", revoked_by=None)
    if lock == "disabled":
        skill_unlock_grant(user=learner, skill_id=LOCKED, reason="trial")
        type(locked_skill).objects.filter(pk=LOCKED).update(enabled=False)
    client = client_for(learner)
    detail = client.get(f"/api/skills/{LOCKED}/").data
    assert (detail["current_version"]["version"], detail["current_version"]["content"]) == ("1.1.0", None)
    versions = client.get(f"/api/skills/{LOCKED}/versions/").data["results"]
    assert [(v["version"], v["content"]) for v in versions] == [("1.1.0", None), ("1.0.0", None)]
    assert versions[0]["sha256"] == SkillVersion.objects.get(skill=locked_skill, version="1.1.0").sha256


def test_a_learner_with_the_unlock_and_staff_read_the_content(locked_skill, admin_user):
    learner = UserFactory()
    skill_unlock_grant(user=learner, skill_id=LOCKED, reason="earned")
    for reader in (learner, admin_user):
        client = client_for(reader)
        assert MARKER in client.get(f"/api/skills/{LOCKED}/").data["current_version"]["content"]
        assert all(MARKER in v["content"] for v in client.get(f"/api/skills/{LOCKED}/versions/").data["results"])


def test_a_foundational_skill_shows_its_content_to_everyone():
    skill = SkillFactory(skill_id="doc-summarize", tier="foundational")
    skill_version_publish(skill=skill, version="1.0.0", content="open to all")
    detail = client_for(UserFactory()).get("/api/skills/doc-summarize/").data
    assert detail["current_version"]["content"] == "open to all"


def test_the_admin_shows_a_learner_no_version_page(locked_skill, client):
    client.force_login(UserFactory())
    version = SkillVersion.objects.get(skill=locked_skill, version="1.0.0")
    for url in ("/admin/skills/skillversion/", f"/admin/skills/skill/{LOCKED}/change/",
                f"/admin/skills/skillversion/{version.pk}/change/"):  # fmt: skip
        response = client.get(url, follow=True)
        assert MARKER not in response.content.decode() and response.redirect_chain, url
