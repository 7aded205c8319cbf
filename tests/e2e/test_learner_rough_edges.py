"""Issue 28 in a real browser, at 1280 and 390 px, with JavaScript on and off where the page works
without it: yesterday's practice on the heat map, a session deleted through its confirmation and
undone, a 500-character unbroken goal with no sideways scrolling, an admin clicking a usage-per-day
bar onto that day's events, and the admin's action buttons within reach on a phone."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from roadmaps.models import PracticeActivity
from roadmaps.services.practice import practice_activity_log
from roadmaps.services.roadmaps import roadmap_create_from_goal
from skills.ingestion.record import usage_events_record
from skills.services.registry import skill_version_publish
from tests.factories import SkillFactory, UserFactory, progress_of
from tests.skills.telemetry_helpers import event_payload

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-Long-passphrase-42"
WIDTHS = (1280, 390)
UNBROKEN_GOAL = "x" * 500


def signed_in(browser, live_server, *, js: bool, width: int = 1280, staff: bool = False):
    username = f"{'staff' if staff else 'learner'}-{'js' if js else 'nojs'}-{width}"
    user = UserFactory(username=username, password=PASSWORD, is_staff=staff, is_superuser=staff)
    context = browser.new_context(viewport={"width": width, "height": 844}, java_script_enabled=js)
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/")
    return context, page, user


def no_sideways_scroll(page, artifacts, name: str) -> None:
    current = page.viewport_size
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 844})
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{name} is {overflow}px wider than a {width}px screen"
        page.screenshot(path=str(artifacts / f"issue28-{name}-{width}px.png"), full_page=True)
    page.set_viewport_size(current)


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_a_learner_logs_yesterdays_practice_and_sees_yesterday_on_the_heat_map(browser, live_server, artifacts, js):
    context, page, learner = signed_in(browser, live_server, js=js)
    roadmap, _ = roadmap_create_from_goal(owner=learner, user_query="learn to juggle")
    yesterday = timezone.localdate() - timedelta(days=1)
    page.goto(f"{live_server.url}{roadmap.get_absolute_url()}")
    milestone = page.locator("article.milestone").first
    milestone.locator("details.log summary").click()
    assert milestone.get_by_label("Day practised").input_value() == timezone.localdate().isoformat()
    milestone.get_by_label("Day practised").fill(yesterday.isoformat())
    milestone.get_by_label("What did you do?").fill("Arcs, logged a day late")
    milestone.get_by_label("Minutes practised").fill("25")
    no_sideways_scroll(page, artifacts, f"log-yesterday-{'js' if js else 'nojs'}")
    milestone.get_by_role("button", name="Log practice").click()
    page.locator(".notice", has_text="Practice logged").wait_for()
    assert PracticeActivity.objects.get().practiced_on == yesterday
    page.get_by_role("link", name="Practice", exact=True).click()
    cell = page.locator(f'.heatmap rect[data-date="{yesterday.isoformat()}"]')
    assert int(cell.get_attribute("data-level")) >= 2  # 25 minutes
    assert page.locator(f'.heatmap rect[data-date="{timezone.localdate().isoformat()}"]').get_attribute(
        "data-level") == "0"  # fmt: skip
    no_sideways_scroll(page, artifacts, f"heat-map-yesterday-{'js' if js else 'nojs'}")
    context.close()


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_a_learner_deletes_a_session_through_its_confirmation_and_undoes_it(browser, live_server, artifacts, js):
    context, page, learner = signed_in(browser, live_server, js=js)
    roadmap, _ = roadmap_create_from_goal(owner=learner, user_query="learn to juggle")
    progress = progress_of(roadmap, "one-ball-arc")
    practice_activity_log(progress=progress, activity_type="drill", title="All the arcs", reps=60, completion_time=20)
    session = PracticeActivity.objects.get()
    suffix = "js" if js else "nojs"
    page.goto(f"{live_server.url}/practice/")
    page.get_by_role("link", name="Edit All the arcs").click()
    page.get_by_role("link", name="Delete this session…").click()
    page.wait_for_url(re.compile(r".*/delete/.*"))
    effects = page.locator(".deletion-effects").inner_text()
    assert "60 reps and 20 minutes come off the milestone: 60 → 0 of 60 reps." in effects
    assert "goes from completed back to in progress" in effects
    no_sideways_scroll(page, artifacts, f"delete-session-confirm-{suffix}")
    page.get_by_role("button", name="Delete this session").click()
    page.locator("#messages", has_text="Practice deleted: All the arcs").wait_for()
    assert not PracticeActivity.objects.exists()
    no_sideways_scroll(page, artifacts, f"delete-session-undo-offer-{suffix}")
    page.get_by_role("button", name="Undo").click()
    page.get_by_text("Practice restored").wait_for()
    restored = PracticeActivity.objects.get()
    assert (restored.pk, restored.reps, restored.created_at) == (session.pk, 60, session.created_at)
    progress.refresh_from_db()
    assert progress.status == "completed"
    context.close()


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_a_500_character_unbroken_goal_scrolls_nowhere_sideways(browser, live_server, artifacts, js):
    context, page, learner = signed_in(browser, live_server, js=js, staff=True)
    suffix = "js" if js else "nojs"
    page.get_by_label("What do you want to learn?").fill(UNBROKEN_GOAL)
    page.get_by_role("button", name="Make my roadmap").click()
    page.wait_for_url(re.compile(r".*/roadmaps/[0-9a-f-]+/$"))
    no_sideways_scroll(page, artifacts, f"long-goal-roadmap-{suffix}")
    page.goto(f"{live_server.url}/")
    no_sideways_scroll(page, artifacts, f"long-goal-list-{suffix}")
    page.goto(f"{live_server.url}/admin/roadmaps/skilldeconstruction/")
    no_sideways_scroll(page, artifacts, f"long-goal-admin-plans-{suffix}")
    page.locator("#result_list tbody th a").first.click()
    page.wait_for_url(re.compile(r".*/skilldeconstruction/[0-9a-f-]+/change/$"))
    no_sideways_scroll(page, artifacts, f"long-goal-admin-plan-{suffix}")
    page.goto(f"{live_server.url}/admin/roadmaps/roadmap/")
    no_sideways_scroll(page, artifacts, f"long-goal-admin-roadmaps-{suffix}")
    context.close()


def test_an_admin_clicks_a_usage_per_day_bar_and_lands_on_that_days_events(browser, live_server, artifacts):
    today = timezone.now().date()
    day = today - timedelta(days=3)
    at = f"{day.isoformat()}T10:00:00+00:00"
    events = [event_payload(n, skill_id="pdf", outcome="success", occurred_at=at) for n in range(4)]
    events += [event_payload(9, skill_id="pdf", outcome="success", occurred_at=f"{today.isoformat()}T01:00:00+00:00")]
    usage_events_record(events=events, user=None)
    context, page, _ = signed_in(browser, live_server, js=True, staff=True)
    page.goto(f"{live_server.url}/admin/skills/dashboard/?start={today - timedelta(days=6)}&end={today}&skill=")
    page.locator("body[data-charts-drawn=true]").wait_for()
    page.screenshot(path=str(artifacts / "issue28-dashboard-usage-1280px.png"), full_page=True)
    index = 3  # the fourth of seven days: `day`
    point = page.evaluate(
        """i => { const chart = Chart.getChart("usage-chart"); const bar = chart.getDatasetMeta(0).data[i];
                  const box = chart.canvas.getBoundingClientRect();
                  return {x: box.left + bar.x, y: box.top + (bar.y + bar.base) / 2}; }""",
        index,
    )
    page.mouse.click(point["x"], point["y"])
    page.wait_for_url(re.compile(r".*/admin/skills/usageevent/\?.*"))
    assert page.locator("#result_list tbody tr").count() == 4
    assert "outcome__exact=success" in page.url and day.isoformat() in page.url
    page.screenshot(path=str(artifacts / "issue28-dashboard-day-events-1280px.png"), full_page=True)
    context.close()


def test_the_admins_action_buttons_are_within_reach_on_a_phone(browser, live_server, artifacts):
    skill = SkillFactory(skill_id="pdf-extract-with-a-long-name")
    for version in ("1.0.0", "2.0.0"):
        skill_version_publish(skill=skill, version=version, content=f"# PDF {version}\n", changelog="A change.")
    context, page, _ = signed_in(browser, live_server, js=True, width=390, staff=True)
    stops = [
        (f"/admin/skills/skill/{skill.pk}/change/", "a.button", "Roll back…"),
        ("/admin/skills/skillversion/", "a.button", "Roll back…"),
        ("/admin/skills/jobrun/", "button", "Run now"),
    ]
    for path, selector, text in stops:
        page.goto(f"{live_server.url}{path}")
        button = page.locator(selector, has_text=text).first
        box = button.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, f"{path}: {text} at {box}"
        page.screenshot(path=str(artifacts / f"issue28-admin-reach{path.replace('/', '-')}390px.png"), full_page=True)
    context.close()


def test_admin_table_cells_keep_their_words_whole_on_a_phone(browser, live_server):
    """The wrap rule for long text must not reach table cells: a cell would shrink to a letter a line."""
    skill = SkillFactory(skill_id="pdf")
    for version in ("1.0.0", "2.0.0"):
        skill_version_publish(skill=skill, version=version, content=f"# PDF {version}\n", changelog="A change.")
    context, page, _ = signed_in(browser, live_server, js=True, width=390, staff=True)
    page.goto(f"{live_server.url}/admin/skills/skill/{skill.pk}/change/")
    cell = page.locator(".inline-group td.field-files_summary").first
    assert cell.evaluate("c => getComputedStyle(c.querySelector('p') || c).overflowWrap") != "anywhere"
    assert cell.bounding_box()["width"] > 60
    context.close()
