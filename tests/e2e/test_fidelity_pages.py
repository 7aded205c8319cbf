"""The pages issue 25 and 24.3 touch, in headless Chromium at desktop and phone widths: the list
of unregistered skills (with its advice), a skill's page with its cost and context cost, and the
dashboard's cost table. Screenshots go to test-artifacts/."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from skills.intake.join import skill_uses_release_due
from skills.intake.otlp import logs_request_decode, otlp_logs_take_in
from skills.services.registry import skill_version_publish
from tests.factories import SkillFactory, UserFactory
from tests.skills import claude_session as session
from tests.skills.otlp_helpers import otlp_json

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
PASSWORD = "correct-horse-battery"
WIDTHS = (1280, 390)


def seeded() -> None:
    skill_version_publish(skill=SkillFactory(skill_id="pdf", description="Reads PDF files."), content="x" * 2000)
    SkillFactory(skill_id="code-review")
    learner = UserFactory(username="learner-with-agent")
    for records in (session.otlp_details(), session.otlp_default()[:3]):
        body = json.dumps(otlp_json(records, time_unix_nano="0")).encode()
        otlp_logs_take_in(logs_request_decode(body, content_type="application/json"), user=learner)
    default_only = [{**r, "session.id": "another-session"} for r in session.otlp_default()]
    body = json.dumps(otlp_json(default_only, time_unix_nano="0")).encode()
    otlp_logs_take_in(logs_request_decode(body, content_type="application/json"), user=learner)
    skill_uses_release_due(now=timezone.now() + timedelta(days=1))


def test_the_pages_at_desktop_and_phone_widths(browser, live_server, artifacts):
    seeded()
    UserFactory(username="fidelity-admin", password=PASSWORD, is_staff=True, is_superuser=True)
    start = (session.START - timedelta(days=1)).date()
    pages = {
        "unregistered": ("/admin/skills/unregisteredskill/", ["team-tools:code-review", "OTEL_LOG_TOOL_DETAILS=1"]),
        "skill": (
            "/admin/skills/skill/pdf/change/",
            ["Cost per use / per success", "$0.050000 a use", "listed in every"],
        ),
        "dashboard": (f"/admin/skills/dashboard/?start={start}&end={timezone.now().date()}&skill=", ["costs-table"]),
    }
    for width in WIDTHS:
        context = browser.new_context(viewport={"width": width, "height": 900})
        page = context.new_page()
        page.goto(f"{live_server.url}/admin/login/?next=/admin/")
        page.locator("#id_username").fill("fidelity-admin")
        page.locator("#id_password").fill(PASSWORD)
        page.locator("input[type=submit]").click()
        for name, (url, expected) in pages.items():
            page.goto(f"{live_server.url}{url}")
            html = page.content()
            for text in expected:
                assert text in html, f"{name} at {width} px lacks {text!r}"
            page.screenshot(path=str(artifacts / f"fidelity-{name}-{width}.png"), full_page=True)
        context.close()
