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


def test_create_from_a_goal_start_practise_until_done_and_read_progress():
    client = APIClient()
    client.force_authenticate(UserFactory())
    schema = client.get("/api/schema/?format=json").json()
    example = schema["paths"][operation(schema, "roadmaps_create")[1]]["post"]["requestBody"]["content"][
        "application/json"
    ]["examples"]["FromAGoal"]["value"]

    roadmap = call(client, schema, "roadmaps_create", example)
    first = roadmap["levels"][0]["milestones"][0]
    progress_id = first["progress"]["id"]
    call(client, schema, "milestone_progress_start_create", id=progress_id)
    for n in range(first["target_completions"]):
        call(
            client,
            schema,
            "practice_activities_create",
            {"milestone_progress": progress_id, "activity_type": "physical_practice", "title": f"set {n}",
             "completed": True, "completion_time": 5},
        )  # fmt: skip

    milestone = call(client, schema, "milestone_progress_retrieve", id=progress_id)
    assert milestone["status"] == "completed"
    progress = call(client, schema, "roadmaps_progress_retrieve", id=roadmap["id"])
    assert progress["milestones_completed"] == 1
    assert progress["minutes_done"] == first["estimated_time"] and progress["percent"] > 0
    assert progress["levels"][0]["minutes_done"] == first["estimated_time"]
