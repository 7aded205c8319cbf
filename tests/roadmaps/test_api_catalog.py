"""GET /api/plan-catalog/ and /api/plan-catalog/{id}/: the shipped plans, read with no query."""

import pytest
from rest_framework.test import APIClient

from roadmaps.catalog import catalog
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
LIST_FIELDS = {"id", "title", "domain", "domain_label", "kind", "stage", "difficulty", "aliases", "keywords",
               "practice_types", "total_minutes", "levels_count"}  # fmt: skip


@pytest.fixture
def api():
    client = APIClient()
    client.force_authenticate(UserFactory())
    return client


def test_the_list_is_paginated_and_runs_no_query(api, django_assert_num_queries, monkeypatch):
    monkeypatch.setattr("rest_framework.pagination.PageNumberPagination.page_size", 20)
    # The caller is force-authenticated and the catalog is read from files cached in the process.
    with django_assert_num_queries(0):
        first = api.get("/api/plan-catalog/")
    assert first.status_code == 200 and first.data["count"] == len(catalog()) >= 40
    assert len(first.data["results"]) == 20 and first.data["next"]
    entry = first.data["results"][0]
    assert set(entry) == LIST_FIELDS
    assert entry["total_minutes"] == catalog()[entry["id"]].total_minutes and entry["levels_count"] >= 2
    with django_assert_num_queries(0):
        last = api.get("/api/plan-catalog/?page=3")
    assert last.status_code == 200 and last.data["next"] is None


def test_the_list_filters_by_domain_and_kind_and_ranks_by_goal(api):
    languages = api.get("/api/plan-catalog/?domain=languages").data
    assert languages["count"] >= 4 and {e["domain"] for e in languages["results"]} == {"languages"}
    physical = api.get("/api/plan-catalog/?kind=physical").data["results"]
    assert physical and {e["kind"] for e in physical} == {"physical"}
    ranked = api.get("/api/plan-catalog/?q=juggling+3+balls").data["results"]
    assert ranked[0]["id"] == "juggling"


def test_the_detail_is_the_full_plan(api, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = api.get("/api/plan-catalog/sql-databases/")
    assert response.status_code == 200
    assert response.data["plan"] == catalog()["sql-databases"].plan
    assert set(response.data) == LIST_FIELDS | {"plan"}


def test_a_catalog_plan_can_be_posted_back_as_a_deconstruction(api):
    plan = api.get("/api/plan-catalog/juggling/").data["plan"]
    body = {"user_query": "my juggling", "deconstruction_data": plan}
    posted = api.post("/api/deconstructions/", body, format="json")
    assert posted.status_code == 201 and posted.data["deconstruction_data"] == plan


def test_an_unknown_entry_is_404_and_anonymous_callers_401(api):
    assert api.get("/api/plan-catalog/basket-weaving/").status_code == 404
    assert APIClient().get("/api/plan-catalog/").status_code == 401
    assert APIClient().get("/api/plan-catalog/juggling/").status_code == 401
