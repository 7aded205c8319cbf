"""/healthz and /readyz: what a load balancer polls. No authentication, JSON, no detail an
attacker could use; /readyz answers 503 with Retry-After while a dependency is missing.
(The database really stopped: tests/test_operator_health_live.py.)"""

import os

import pytest
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from skillsite.health import NOT_MIGRATED, OK, UNREACHABLE

BROKER = os.environ.get("TEST_CELERY_BROKER_URL", "redis://127.0.0.1:6379/5")
DEAD_BROKER = "redis://127.0.0.1:1/0"


def test_healthz_answers_without_touching_the_database(client):
    # No django_db mark: any query would raise here.
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_healthz_refuses_writes(client):
    assert client.post("/healthz").status_code == 405


@pytest.mark.django_db
def test_readyz_is_ready_on_a_migrated_database_without_a_broker(client, settings, django_assert_max_num_queries):
    settings.CELERY_BROKER_URL = ""
    with django_assert_max_num_queries(1):  # the applied migrations, nothing else: cheap every second
        response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": {"database": OK}}


@pytest.mark.django_db
def test_readyz_checks_the_broker_when_one_is_configured(client, settings):
    settings.CELERY_BROKER_URL = BROKER
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": OK, "broker": OK}


@pytest.mark.django_db
def test_readyz_is_unready_while_the_broker_is_unreachable_and_names_no_address(client, settings):
    settings.CELERY_BROKER_URL = DEAD_BROKER
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response["Retry-After"]
    assert response.json() == {"status": "unready", "checks": {"database": OK, "broker": UNREACHABLE}}
    assert b"127.0.0.1" not in response.content and b"refused" not in response.content


@pytest.mark.django_db
def test_readyz_is_unready_while_a_migration_on_disk_is_not_applied(client):
    app, name = sorted(MigrationLoader(None, ignore_no_migrations=True).graph.leaf_nodes())[0]
    with connection.cursor() as cursor:  # rolled back with the test's transaction
        cursor.execute("DELETE FROM django_migrations WHERE app = %s AND name = %s", [app, name])
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == NOT_MIGRATED


@pytest.mark.django_db
def test_health_endpoints_are_not_redirected_to_https(client, settings):
    # A load balancer polls the backends over plain HTTP inside the network.
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200
    assert client.get("/api/skills/").status_code == 301
