"""An admin tries a new version on 10 % of the users by clicking: creates the experiment (pasting
the new SKILL.md), reads the plan, starts it, watches the arms and the chart as uses come in,
and promotes the new version, at 1280 and at 390 px wide, with no page wider than the window."""

import uuid

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

from skills.ingestion.record import usage_events_record
from skills.models import Experiment, ExperimentStatus, Tier
from skills.services.experiments import experiment_snapshot_take
from skills.services.registry import skill_version_publish
from tests.factories import SkillFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery"
WIDTHS = [1280, 390]


def fits(page) -> bool:
    page.wait_for_load_state()
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def some_uses(skill_id: str, users: int = 40) -> None:
    platform = UserFactory(username=f"platform-{uuid.uuid4().hex[:6]}")
    platform.user_permissions.add(Permission.objects.get(codename="ingest_for_any_user"))
    platform = get_user_model().objects.get(pk=platform.pk)
    people = get_user_model().objects.bulk_create(
        get_user_model()(username=f"agent-{uuid.uuid4().hex[:8]}") for _ in range(users)
    )
    events = [
        {"event_id": str(uuid.uuid4()), "skill_id": skill_id, "user": person.pk, "latency_ms": 100 + n * 7,
         "outcome": "success" if (person.pk + n) % 3 else "failure", "tokens_used": 150}
        for person in people for n in range(2)
    ]  # fmt: skip
    usage_events_record(events=events, user=platform)


@pytest.mark.parametrize("width", WIDTHS)
def test_an_admin_tries_a_new_version_on_ten_percent_and_promotes_it(browser, live_server, artifacts, width):
    UserFactory(username="lead", password=PASSWORD, is_staff=True, is_superuser=True)
    skill = SkillFactory(skill_id="pdf-extract", tier=Tier.FOUNDATIONAL)
    skill_version_publish(skill=skill, version="1.0.0", content="---\nname: pdf-extract\n---\nv1\n")
    context = browser.new_context(viewport={"width": width, "height": 844})
    page = context.new_page()
    page.goto(f"{live_server.url}/admin/login/?next=/admin/skills/skill/pdf-extract/change/")
    page.locator("#id_username").fill("lead")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("input[type=submit]").click()

    page.locator("#try-new-version").click()  # from the skill's page
    page.locator("#id_name").wait_for()  # the form's page, loaded
    assert fits(page), "the form is wider than the window"
    page.screenshot(path=str(artifacts / f"experiment-create-{width}.png"), full_page=True)
    page.locator("#id_name").fill("2.0 canary")
    page.locator("#id_new_version").fill("2.0.0")
    page.locator("#id_new_content").fill("---\nname: pdf-extract\n---\nv2: faster extraction\n")
    page.locator("#id_share_percent").fill("10")
    page.locator("#id_guard_latency_p95").fill("50")
    page.locator("input[type=submit][value='Create the draft']").click()
    assert "uses per arm" in page.locator("#plan").inner_text()  # the plan, before starting
    page.locator("#start").click()
    assert "Started" in page.locator("ul.messagelist").inner_text()

    experiment = Experiment.objects.get()
    some_uses("pdf-extract")
    experiment_snapshot_take(experiment=experiment)
    some_uses("pdf-extract")
    page.reload()
    assert page.locator("#arms-table").is_visible() and page.locator("#difference-chart polyline").count() == 1
    assert "not enough data yet" in page.locator("#arms-table").inner_text()
    assert fits(page), "the watch page is wider than the window"
    page.screenshot(path=str(artifacts / f"experiment-watch-{width}.png"), full_page=True)

    page.locator("#promote-1").click()

    assert "Promoted 2.0.0" in page.locator("ul.messagelist").inner_text()
    assert "2.0.0 became current" in page.locator("#decision").inner_text()
    experiment.refresh_from_db()
    assert experiment.status == ExperimentStatus.PROMOTED
    assert skill.versions.get(is_current=True).version == "2.0.0"
    page.goto(f"{live_server.url}/admin/skills/skill/pdf-extract/change/")
    assert "promoted 2.0.0 by lead" in page.locator("#experiment-history").inner_text()
    assert fits(page), "the skill page is wider than the window"
    context.close()
