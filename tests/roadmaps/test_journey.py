"""A REST client does the whole learner journey knowing only the OpenAPI schema."""

import pytest
from rest_framework.test import APIClient

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def operation(schema: dict, operation_id: str) -> tuple[str, str]:
    """(method, path template) of an operation, found in the schema by its id."""
    for path, methods in schema["paths"].items():
        for method, spec in methods.items():
            if spec.get("operationId") == operation_id:
                return method, path
    raise AssertionError(f"{operation_id} is not in the schema")


def call(client: APIClient, schema: dict, operation_id: str, body=None, **params):
    method, path = operation(schema, operation_id)
    response = getattr(client, method)(path.format(**params), body, format="json")
    assert response.status_code < 400, (operation_id, response.status_code, response.data)
    return response.data


def example(schema: dict, operation_id: str, name: str) -> dict:
    """A request example the schema documents for an operation."""
    method, path = operation(schema, operation_id)
    return schema["paths"][path][method]["requestBody"]["content"]["application/json"]["examples"][name]["value"]


def test_create_from_a_goal_start_practise_until_done_and_read_progress():
    client = APIClient()
    client.force_authenticate(UserFactory())
    schema = client.get("/api/schema/?format=json").json()

    roadmap = call(client, schema, "roadmaps_create", example(schema, "roadmaps_create", "FromAGoal"))
    first = roadmap["levels"][0]["milestones"][0]
    progress_id = first["progress"]["id"]
    call(client, schema, "milestone_progress_start_create", id=progress_id)
    practice = example(schema, "practice_activities_create", "ACompletedSet")
    for n in range(first["target_completions"]):
        body = {**practice, "milestone_progress": progress_id, "title": f"set {n + 1}"}
        call(client, schema, "practice_activities_create", body)

    milestone = call(client, schema, "milestone_progress_retrieve", id=progress_id)
    assert milestone["status"] == "completed"
    logged = call(client, schema, "practice_activities_list")
    assert logged["count"] == first["target_completions"]
    progress = call(client, schema, "roadmaps_progress_retrieve", id=roadmap["id"])
    assert progress["milestones_completed"] == 1
    assert progress["minutes_done"] == first["estimated_time"] and progress["percent"] > 0
    assert progress["levels"][0]["minutes_done"] == first["estimated_time"]
