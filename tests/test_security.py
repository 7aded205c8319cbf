"""Project-wide hardening: deploy checks, login lockout, ingestion throttling, staff-only admin, CSRF."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.cache import cache
from rest_framework.throttling import ScopedRateThrottle

from tests.factories import UserFactory, make_roadmap
from tests.skills.telemetry_helpers import event_payload

ROOT = Path(__file__).resolve().parent.parent


def test_check_deploy_is_clean_with_production_settings():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "skillsite.settings",
        "SECRET_KEY": "a-long-random-production-secret-0123456789-abcdefghijklmnopqrstuvwxyz",
        "ALLOWED_HOSTS": "skills.example.org",
        "DEBUG": "false",
    }
    env.pop("SECURE_SSL_REDIRECT", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set by the browser tests in this process
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.django_db
def test_login_is_locked_after_repeated_failures(client, settings):
    settings.AXES_ENABLED = True
    UserFactory(username="admin-user", password="right-password-123", is_staff=True)
    statuses = [
        client.post("/admin/login/?next=/admin/", {"username": "admin-user", "password": "wrong"}).status_code
        for _ in range(settings.LOGIN_FAILURES_PER_ADDRESS)
    ]
    # The attempt that reaches the limit is already refused as locked out.
    assert statuses == [200] * (settings.LOGIN_FAILURES_PER_ADDRESS - 1) + [429]
    locked = client.post("/admin/login/?next=/admin/", {"username": "admin-user", "password": "right-password-123"})
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_event_ingestion_is_throttled_per_user(user_client, monkeypatch):
    cache.clear()
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"ingest": "3/minute"})
    statuses = [user_client.post("/api/events/", event_payload(n), format="json").status_code for n in range(4)]
    assert statuses == [201, 201, 201, 429]
    cache.clear()


@pytest.mark.django_db
def test_admin_is_for_staff_only(client):
    client.force_login(UserFactory(is_staff=False))
    response = client.get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


@pytest.mark.django_db
def test_admin_login_form_needs_a_csrf_token():
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post("/admin/login/", {"username": "x", "password": "y"})
    assert response.status_code == 403


@pytest.mark.django_db
def test_an_oversized_request_body_is_refused(user_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = [event_payload(n) for n in range(20)]
    response = user_client.post("/api/events/", body, format="json")
    assert response.status_code in (400, 413)


POST_FORM = re.compile(r"<form[^>]*method=\"post\"[^>]*>(.*?)</form>", re.S | re.I)


def _post_forms(html: str) -> list[str]:
    return POST_FORM.findall(html)


@pytest.mark.django_db
def test_every_post_form_on_every_page_carries_a_csrf_token():
    from django.test import Client

    learner, staff = UserFactory(), UserFactory(is_staff=True, is_superuser=True)
    roadmap = make_roadmap(learner)
    anonymous, learner_client, staff_client = Client(), Client(), Client()
    learner_client.force_login(learner)
    staff_client.force_login(staff)
    pages = [
        (anonymous, "/accounts/login/"),
        (anonymous, "/accounts/signup/"),
        (learner_client, "/"),
        (learner_client, f"/roadmaps/{roadmap.pk}/"),
        (learner_client, "/practice/"),
        (staff_client, "/admin/skills/skillunlock/bulk/"),
        (staff_client, "/admin/skills/dashboard/"),
        (staff_client, "/admin/skills/emergencecandidate/"),
    ]
    checked = 0
    for client, url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        for form in _post_forms(response.content.decode()):
            assert 'name="csrfmiddlewaretoken"' in form, url
            checked += 1
    assert checked >= 8  # the roadmap page alone has a form per milestone and action


@pytest.mark.django_db
def test_learner_posts_without_a_csrf_token_are_refused():
    from django.test import Client

    learner = UserFactory()
    roadmap = make_roadmap(learner)
    progress = roadmap.deconstruction.progress.order_by("created_at").first()
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(learner)
    posts = [
        ("/roadmaps/new/", {"user_query": "learn to knit", "skill_type": "physical"}),
        (f"/roadmaps/{roadmap.pk}/milestones/{progress.pk}/start/", {}),
        (f"/roadmaps/{roadmap.pk}/milestones/{progress.pk}/practice/", {"activity_type": "reading", "title": "x"}),
        (
            "/api/practice-activities/",
            {"milestone_progress": str(progress.pk), "activity_type": "reading", "title": "x"},
        ),
    ]
    for url, data in posts:
        assert strict.post(url, data).status_code == 403, url
    progress.refresh_from_db()
    assert progress.status == "not_started" and progress.practice_attempts == 0


def _bare_environment() -> dict:
    """Production settings with nothing set: no SECRET_KEY, no DEBUG."""
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    return {**env, "DJANGO_SETTINGS_MODULE": "skillsite.settings"}


def test_commands_that_need_no_key_run_without_a_secret_key():
    result = subprocess.run(
        [sys.executable, "manage.py", "makemigrations", "--check", "--dry-run"],
        cwd=ROOT,
        env=_bare_environment(),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No changes detected" in result.stdout


@pytest.mark.parametrize("module", ["skillsite.wsgi", "skillsite.asgi"])
def test_the_web_server_refuses_to_start_without_a_secret_key(module):
    result = subprocess.run(
        [sys.executable, "-c", f"import {module}"], cwd=ROOT, env=_bare_environment(), capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "Set the SECRET_KEY environment variable" in result.stderr
