"""Schemathesis over every operation of /api/schema/, enumerated from the schema itself, with
every check (tests/schemathesis.toml), on a seeded database (tests/schema_seed.py).

Generated path ids are, half of the time, swapped for ids that exist (read from each
collection's list, so endpoints added later are covered too): otherwise almost every detail
request would be a 404 and the 200s would go untested.
"""

from __future__ import annotations

import copy
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path

import jsonschema
import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.errors import FlakyStrategyDefinition
from rest_framework.test import APIClient
from schemathesis.config import SchemathesisConfig

from roadmaps.examples import SEED_PLAN
from tests.schema_seed import seed_api_data

CONFIG = SchemathesisConfig.from_path(str(Path(__file__).with_name("schemathesis.toml")))
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application(), config=CONFIG)
EXISTING: dict[str, list[dict[str, str]]] = {}  # operation path → path parameters that exist
FORMATS = jsonschema.FormatChecker()
# Generated cases for every operation: a minute or more of the suite, so it runs with `make test`, not
# with the fast command (`make test-fast`).
pytestmark = pytest.mark.slow


@pytest.fixture
def seeded(db):
    """The seeded data, and for each path with parameters, parameter sets that name existing objects."""
    data = seed_api_data()
    client = APIClient()
    client.force_authenticate(data.user)
    EXISTING.clear()
    for path in schema.raw_schema["paths"]:
        EXISTING[path] = existing_parameters(client, path)
    return data


def existing_parameters(client: APIClient, path: str) -> list[dict[str, str]]:
    """Values of the path's one parameter read from its collection's list (`/api/x/{id}/…` → `/api/x/`)."""
    if path.count("{") != 1:
        return []
    collection, rest = path.split("{", 1)
    name = rest.split("}", 1)[0]
    listed = client.get(collection)
    if listed.status_code != 200:
        return []
    rows = listed.json()["results"] if isinstance(listed.json(), dict) else listed.json()
    keys = (name, "skill") if name == "skill_id" else (name,)  # /api/unlocks/ names its skill `skill`
    return [{name: str(row[key])} for row in rows for key in keys if key in row]


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    """Half of the generated ids replaced by existing ones, when the generated ones are valid (a
    negative case keeps its invalid parameter)."""
    operation = context.operation
    known = EXISTING.get(operation.path, [])
    if not path_parameters or not known or not _valid(operation, path_parameters):
        return st.just(path_parameters)
    return st.one_of(st.just(path_parameters), st.sampled_from(known))


def follow_unstated_rules(case) -> None:
    """Generated bodies made to follow the rules JSON Schema cannot state, where the generated part
    is of the documented type (so a negative case keeps its mutation): an event's `occurred_at`
    within the retention window and at most a day ahead (EVENTS_MAX_AGE_DAYS), and a plan's
    cross-field rules (levels numbered in order, a total that adds up, unique milestone ids).
    Done on the case rather than in a map_body hook, which the coverage phase does not run."""
    body = case.body
    if (case.method.upper(), case.operation.path) == ("POST", "/api/events/"):
        for event in body if isinstance(body, list) else [body]:
            if isinstance(event, dict) and _is_date_time(event.get("occurred_at")):
                event["occurred_at"] = (timezone.now() - timedelta(hours=3)).isoformat()
    if case.operation.path.startswith("/api/practice-activities/") and isinstance(body, dict):
        if _is_date(body.get("practiced_on")):
            body["practiced_on"] = timezone.localdate().isoformat()  # within the last year, not ahead
    if isinstance(body, dict) and _is_plan(body.get("deconstruction_data")):
        body["deconstruction_data"] = copy.deepcopy(SEED_PLAN)


def _is_plan(value) -> bool:
    """A plan the schema allows (a mutated one is left as generated: the server must refuse it)."""
    component = schema.raw_schema["components"]["schemas"]["DeconstructionInputRequest"]
    return isinstance(value, dict) and jsonschema.Draft4Validator(
        component["properties"]["deconstruction_data"]
    ).is_valid(value)


def _is_date(value) -> bool:
    try:
        return isinstance(value, str) and bool(date.fromisoformat(value))
    except ValueError:
        return False


def _is_date_time(value) -> bool:
    """RFC 3339 with an offset (jsonschema checks date-time only with an extra package)."""
    try:
        return isinstance(value, str) and "T" in value.upper() and datetime.fromisoformat(value).tzinfo is not None
    except ValueError:
        return False


def _valid(operation, path_parameters: dict) -> bool:
    for parameter in operation.path_parameters:
        schema_ = parameter.definition.get("schema", {})
        try:
            jsonschema.validate(path_parameters.get(parameter.name), schema_, format_checker=FORMATS)
        except jsonschema.ValidationError:
            return False
    return True


@contextmanager
def connection_kept():
    """The raw WSGI calls fire request_started/finished, whose handler would close the test's
    connection (and its transaction); Django's own test client disconnects it the same way (and
    connects it again after each of its requests, so this wraps each call)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@schema.parametrize()
# Protobuf bodies (the OTLP endpoint's application/x-protobuf) are not generated: schemathesis has no
# serializer for them and says so; the endpoint's JSON body is fuzzed.
@pytest.mark.filterwarnings("ignore:Skipped test cases with unsupported payload media types")
# One seeding per operation, shared by its examples (each test's transaction is rolled back at its
# end): hypothesis warns about function-scoped fixtures because they are not reset per example.
@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@pytest.mark.django_db
def test_the_api_answers_as_documented(case, seeded):
    follow_unstated_rules(case)
    with connection_kept():
        case.call_and_validate()  # with the seeded user's token (tests/schemathesis.toml)


@pytest.mark.django_db
def test_linked_operations_keep_their_promises(seeded):
    """Stateful: sequences of calls following the links schemathesis infers from the schema (an id
    a POST answers used by the GET, PATCH, DELETE of that id), every check on every step."""
    # Ids come from the links here: swapping in seeded ones as well makes hypothesis see the draws of
    # a replayed step differ (FlakyStrategyDefinition), so the path-parameter hook stands aside.
    EXISTING.clear()

    class Workflow(schema.as_state_machine()):
        def before_call(self, case):
            follow_unstated_rules(case)

    # FlakyStrategyDefinition is hypothesis declining to judge a run whose replayed steps drew
    # differently (their ids come from live responses, uuids from a true random source): it says
    # nothing about the API, so such a run is tried again, at most three times. Any other failure,
    # a failed check included, stops the test at once.
    for attempt in range(1, 4):
        try:
            with connection_kept():
                Workflow.run(settings=settings(max_examples=25, stateful_step_count=8, deadline=None,
                                               suppress_health_check=list(HealthCheck)))  # fmt: skip
            return
        except FlakyStrategyDefinition:
            if attempt == 3:
                raise
