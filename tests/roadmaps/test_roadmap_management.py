"""A learner renames, archives (hidden from the default list, restorable) and deletes a roadmap,
on the pages (deleting asks for confirmation) and through the API; other learners get 404."""

import pytest
from rest_framework.test import APIClient

from roadmaps.models import DESCRIPTION_MAX_LENGTH, MilestoneProgress, PracticeActivity, Roadmap, SkillDeconstruction
from roadmaps.services.roadmaps import roadmap_create, roadmap_delete
from roadmaps.views import ROADMAP_DELETED
from tests.factories import PracticeActivityFactory, RoadmapFactory, UserFactory, progress_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def roadmap():
    roadmap = RoadmapFactory(title="Juggling")
    PracticeActivityFactory(progress=progress_of(roadmap), completion_time=12)
    return roadmap


@pytest.fixture
def owner_client(client, roadmap):
    client.force_login(roadmap.owner)
    return client


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_renaming_on_the_page(owner_client, roadmap):
    response = owner_client.post(f"/roadmaps/{roadmap.pk}/rename/", {"title": "Three balls", "description": "daily"})
    assert response.status_code == 302 and response["Location"] == f"/roadmaps/{roadmap.pk}/"
    roadmap.refresh_from_db()
    assert (roadmap.title, roadmap.description) == ("Three balls", "daily")
    assert "<h1>Three balls</h1>" in owner_client.get(response["Location"]).content.decode()


@pytest.mark.parametrize(
    "fields, error",
    [
        ({"title": ""}, "This field is required."),
        ({"title": "t" * 256}, "Ensure this value has at most 255 characters (it has 256)."),
        ({"title": "ok", "description": "d" * (DESCRIPTION_MAX_LENGTH + 1)}, "at most 2000 characters (it has 2001)"),
    ],
)
def test_a_bad_rename_is_explained_beside_the_field_and_changes_nothing(owner_client, roadmap, fields, error):
    response = owner_client.post(f"/roadmaps/{roadmap.pk}/rename/", fields)
    html = response.content.decode()
    assert response.status_code == 400
    assert error in html.split('id="manage"')[1] and "<details open>" in html.split('id="manage"')[1]
    roadmap.refresh_from_db()
    assert (roadmap.title, roadmap.description) == ("Juggling", "")


def test_archiving_hides_the_roadmap_from_my_list_and_restoring_brings_it_back(owner_client, roadmap):
    response = owner_client.post(f"/roadmaps/{roadmap.pk}/archive/")
    assert response.status_code == 302 and response["Location"] == "/"
    home = owner_client.get("/").content.decode()
    assert 'class="card roadmap-card"' not in home and "Archived roadmaps (1)" in home
    archived = owner_client.get("/roadmaps/archived/").content.decode()
    assert "Juggling" in archived and f"/roadmaps/{roadmap.pk}/restore/" in archived
    detail = owner_client.get(f"/roadmaps/{roadmap.pk}/").content.decode()
    assert "Archived on" in detail  # still readable, with a Restore button
    assert owner_client.post(f"/roadmaps/{roadmap.pk}/restore/").status_code == 302
    home = owner_client.get("/").content.decode()
    assert 'class="card roadmap-card"' in home and "Archived roadmaps" not in home


def test_deleting_asks_for_confirmation_then_removes_the_roadmap_and_its_practice(owner_client, roadmap):
    page = owner_client.get(f"/roadmaps/{roadmap.pk}/delete/").content.decode()
    assert "Delete “Juggling”?" in page and "1 session, 12 minutes" in page and "Delete" in page
    assert Roadmap.objects.filter(pk=roadmap.pk).exists()  # a GET deletes nothing
    response = owner_client.post(f"/roadmaps/{roadmap.pk}/delete/")
    assert response.status_code == 302 and response["Location"] == "/"
    assert not Roadmap.objects.exists() and not SkillDeconstruction.objects.exists()
    assert not MilestoneProgress.objects.exists() and not PracticeActivity.objects.exists()
    assert ROADMAP_DELETED.format(title="Juggling") in owner_client.get("/").content.decode()


def test_a_plan_another_roadmap_follows_is_kept_when_one_roadmap_is_deleted(roadmap):
    twin = roadmap_create(owner=roadmap.owner, title="Twin", deconstruction=roadmap.deconstruction)
    roadmap_delete(roadmap=roadmap)
    assert Roadmap.objects.get() == twin and PracticeActivity.objects.count() == 1
    roadmap_delete(roadmap=twin)
    assert not SkillDeconstruction.objects.exists() and not PracticeActivity.objects.exists()


def test_another_learner_gets_404_on_every_management_page(client, roadmap):
    client.force_login(UserFactory())
    assert client.post(f"/roadmaps/{roadmap.pk}/rename/", {"title": "mine"}).status_code == 404
    assert client.post(f"/roadmaps/{roadmap.pk}/archive/").status_code == 404
    assert client.post(f"/roadmaps/{roadmap.pk}/restore/").status_code == 404
    assert client.get(f"/roadmaps/{roadmap.pk}/delete/").status_code == 404
    assert client.post(f"/roadmaps/{roadmap.pk}/delete/").status_code == 404
    roadmap.refresh_from_db()
    assert (roadmap.title, roadmap.archived_at) == ("Juggling", None)


def test_the_api_archives_hides_lists_and_restores(roadmap):
    client = api(roadmap.owner)
    archived = client.patch(f"/api/roadmaps/{roadmap.pk}/", {"archived": True}, format="json")
    assert archived.status_code == 200 and archived.data["archived_at"] is not None
    assert client.get("/api/roadmaps/").data["count"] == 0
    assert client.get("/api/roadmaps/?archived=false").data["count"] == 0
    assert [r["title"] for r in client.get("/api/roadmaps/?archived=true").data["results"]] == ["Juggling"]
    assert client.get(f"/api/roadmaps/{roadmap.pk}/").status_code == 200  # the detail still answers
    restored = client.patch(f"/api/roadmaps/{roadmap.pk}/", {"archived": False, "title": "Back"}, format="json")
    assert restored.data["archived_at"] is None and restored.data["title"] == "Back"
    assert client.get("/api/roadmaps/").data["count"] == 1


def test_the_api_deletes_a_roadmap_with_its_practice(roadmap):
    assert api(roadmap.owner).delete(f"/api/roadmaps/{roadmap.pk}/").status_code == 204
    assert not Roadmap.objects.exists() and not PracticeActivity.objects.exists()


@pytest.mark.parametrize(
    "body, field",
    [
        ({"title": "t" * 256}, "title"),
        ({"description": "d" * 240_000}, "description"),
        ({"archived": "sometimes"}, "archived"),
    ],
)
def test_a_bad_api_edit_gets_400_naming_the_field_and_changes_nothing(roadmap, body, field):
    response = api(roadmap.owner).patch(f"/api/roadmaps/{roadmap.pk}/", body, format="json")
    assert response.status_code == 400 and field in response.data["errors"]
    roadmap.refresh_from_db()
    assert (roadmap.title, roadmap.description, roadmap.archived_at) == ("Juggling", "", None)


def test_another_learner_cannot_archive_or_delete_through_the_api(roadmap):
    client = api(UserFactory())
    assert client.patch(f"/api/roadmaps/{roadmap.pk}/", {"archived": True}, format="json").status_code == 404
    assert client.delete(f"/api/roadmaps/{roadmap.pk}/").status_code == 404
    assert client.get("/api/roadmaps/?archived=true").data["count"] == 0
    roadmap.refresh_from_db()
    assert roadmap.archived_at is None
