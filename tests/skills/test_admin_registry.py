"""The skill page (versions inline, rollback through a confirmation page with the diff) and the lists
an admin reads (events, unlocks, versions, feedback), through the admin's own URLs."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.contenttypes.models import ContentType
from django.contrib.messages import get_messages
from django.contrib.staticfiles import finders
from django.test import Client

from skills.admin.registry import ALREADY_CURRENT, ROLLED_BACK, SKILLS_PLACEHOLDER, USERS_PLACEHOLDER
from skills.ingestion.record import usage_events_record
from skills.models import Skill
from skills.services.bundles import BundleFile
from skills.services.registry import skill_version_publish
from tests.factories import SkillFactory, UserFactory
from tests.skills.telemetry_helpers import BASE_TIME, event_payload

pytestmark = pytest.mark.django_db

SKILL_PAGE = "/admin/skills/skill/pdf/change/"


@pytest.fixture
def pdf(admin_user) -> Skill:
    """Two versions, each run by events with its own success rate: 1.0.0 three of four, 2.0.0 one of two."""
    skill = SkillFactory(skill_id="pdf")
    skill_version_publish(
        skill=skill,
        version="1.0.0",
        content="# PDF\nExtract text.\n",
        changelog="First release.",
        created_by=admin_user,
    )
    skill_version_publish(
        skill=skill, version="2.0.0", content="# PDF\nExtract text and tables.\n", changelog="Tables too."
    )
    outcomes = [("1.0.0", "success"), ("1.0.0", "success"), ("1.0.0", "success"), ("1.0.0", "failure"),
                ("2.0.0", "success"), ("2.0.0", "error")]  # fmt: skip
    events = [event_payload(n, skill_id="pdf", skill_version=v, outcome=o) for n, (v, o) in enumerate(outcomes)]
    usage_events_record(events=events, user=None)
    return skill


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_the_skill_page_shows_each_version_with_its_uses_and_success_rate(admin_client, pdf):
    html = admin_client.get(SKILL_PAGE).content.decode()
    rows = re.findall(r'<tr class="form-row has_original.*?</tr>', html, re.S)
    assert len(rows) == 2
    newest, oldest = rows
    assert "2.0.0" in newest and "Tables too." in newest and ">2<" in newest and "50.0 %" in newest
    assert "1.0.0" in oldest and "First release." in oldest and ">4<" in oldest and "75.0 %" in oldest
    assert "Roll back" not in newest and "Roll back" in oldest  # only older versions can be rolled back to
    sha = pdf.versions.get(version="1.0.0").sha256
    assert f'<code class="sha" title="{sha}">{sha[:12]}</code>' in oldest and f">{sha}<" not in html


def test_the_skill_page_lists_the_current_versions_files_with_sizes_and_modes(admin_client, pdf):
    files = [
        BundleFile.from_bytes("core/make_gif.py", b"print(1)\n", executable=True),
        BundleFile.from_bytes("assets/font.ttf", b"\x00" * 2048),
    ]
    skill_version_publish(skill=pdf, version="3.0.0", content="# PDF\n", files=files)

    html = admin_client.get(SKILL_PAGE).content.decode()

    table = re.search(r'<table class="version-files">.*?</table>', html, re.S).group()
    rows = re.findall(r"<tr><td><code>(.*?)</code></td><td>(.*?)</td><td><code>(.*?)</code></td>", table)
    assert [(path, mode) for path, _size, mode in rows] == [
        ("SKILL.md", "644"), ("assets/font.ttf", "644"), ("core/make_gif.py", "755")
    ]  # fmt: skip
    assert "2.0\xa0KB" in rows[1][1] and "3 file(s)" in table
    newest = re.findall(r'<tr class="form-row has_original.*?</tr>', html, re.S)[0]
    assert "SKILL.md + 2 file(s), 2.0\xa0KB" in newest


def test_rollback_goes_through_a_confirmation_page_with_the_diff(admin_client, pdf):
    html = admin_client.get(SKILL_PAGE).content.decode()
    link = re.search(r'<a class="button" href="([^"]+)">Roll back…</a>', html).group(1)
    confirm = admin_client.get(link).content.decode()
    assert '<span class="diff-del">-Extract text and tables.</span>' in confirm
    assert '<span class="diff-add">+Extract text.</span>' in confirm
    assert pdf.versions.get(is_current=True).version == "2.0.0"  # showing the diff changes nothing
    response = admin_client.post(link, follow=True)
    assert response.redirect_chain == [(SKILL_PAGE, 302)]
    assert messages_of(response) == [ROLLED_BACK.format(skill="pdf", version="1.0.0")]
    assert messages_of(response)[0].startswith("Rolled back pdf")  # the admin capitalises the first letter
    assert pdf.versions.get(is_current=True).version == "1.0.0"


def test_the_rollback_page_compares_both_versions_uses_and_success_rates(admin_client, pdf):
    old = pdf.versions.get(version="1.0.0")
    confirm = admin_client.get(f"/admin/skills/skill/pdf/rollback/{old.pk}/").content.decode()
    table = confirm.split('class="rollback-comparison"')[1].split("</table>")[0]
    assert re.search(r"2\.0\.0 <span[^>]*>\(current\)</span></th><td>2</td><td>50\.0 %</td>", table)
    assert re.search(r"1\.0\.0 <span[^>]*>\(after the rollback\)</span></th><td>4</td><td>75\.0 %</td>", table)
    assert "goes to the worse version" not in confirm


def test_the_rollback_page_warns_when_going_to_the_worse_version(admin_client, pdf):
    failures = [event_payload(100 + n, skill_id="pdf", skill_version="1.0.0", outcome="failure") for n in range(6)]
    usage_events_record(events=failures, user=None)  # 1.0.0: 3 of 10 now
    old = pdf.versions.get(version="1.0.0")
    confirm = admin_client.get(f"/admin/skills/skill/pdf/rollback/{old.pk}/").content.decode()
    assert "Rolling back goes to the worse version: 1.0.0 succeeded less often (30.0 %) than the current 2.0.0 " \
           "(50.0 %)." in confirm  # fmt: skip
    assert pdf.versions.get(is_current=True).version == "2.0.0"


def test_rolling_back_to_the_current_version_changes_nothing(admin_client, pdf):
    current = pdf.versions.get(is_current=True)
    response = admin_client.get(f"/admin/skills/skill/pdf/rollback/{current.pk}/", follow=True)
    assert messages_of(response) == [ALREADY_CURRENT.format(skill="pdf", version="2.0.0")]


def test_rollback_needs_a_csrf_token_and_the_version_of_that_skill(admin_user, pdf, admin_client):
    old = pdf.versions.get(version="1.0.0")
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(admin_user)
    assert strict.post(f"/admin/skills/skill/pdf/rollback/{old.pk}/").status_code == 403
    other = SkillFactory(skill_id="ocr")
    assert admin_client.get(f"/admin/skills/skill/{other.pk}/rollback/{old.pk}/").status_code == 404
    assert pdf.versions.get(is_current=True).version == "2.0.0"


@pytest.mark.parametrize("n_events", [6, 300])
def test_the_skill_page_runs_a_fixed_number_of_queries(admin_client, pdf, django_assert_num_queries, n_events):
    extra = [event_payload(n, skill_id="pdf", skill_version="1.0.0") for n in range(10, 10 + n_events)]
    usage_events_record(events=extra, user=None)
    ContentType.objects.get_for_model(Skill)  # cached per process: warm, whichever test ran first
    # session, user, the skill's active regression (the banner), the skill with its metrics, the versions
    # with their authors, uses / successes and file counts / sizes (subqueries), the current version and its
    # files (the files table), its experiments (the history; none, so no arms to prefetch); the attributed
    # cost (the skill's joined uses: none here) and the current version again (its context cost)
    with django_assert_num_queries(10):
        admin_client.get(SKILL_PAGE)


def test_the_versions_list_has_a_rollback_link_instead_of_a_one_click_action(admin_client, pdf):
    response = admin_client.get("/admin/skills/skillversion/")
    html = response.content.decode()
    old = pdf.versions.get(version="1.0.0")
    assert f'href="/admin/skills/skill/pdf/rollback/{old.pk}/"' in html
    assert "make_current" not in html
    shown = {v.version: (v.uses, v.successes) for v in response.context["cl"].result_list}
    assert shown == {"1.0.0": (4, 3), "2.0.0": (2, 1)}


def test_the_event_list_shows_50_rows_and_links_each_session(admin_client):
    long_session = "session-" + "x" * 60
    events = [event_payload(n, session_id=long_session if n == 0 else f"s{n}",
                            occurred_at=(BASE_TIME + timedelta(minutes=n)).isoformat(),
                            workflow_path="plan/" + "deep/" * 20 + "done") for n in range(60)]  # fmt: skip
    usage_events_record(events=events, user=None)
    response = admin_client.get("/admin/skills/usageevent/?o=1")  # oldest first: the long session on top
    assert len(response.context["cl"].result_list) == 50
    html = response.content.decode()
    assert f'<a href="?session_id={long_session}"><span class="truncated" title="{long_session}">' in html
    assert 'title="plan/deep/' in html  # the whole workflow path on hover
    filtered = admin_client.get(f"/admin/skills/usageevent/?session_id={long_session}").context["cl"].result_list
    assert [e.session_id for e in filtered] == [long_session]


def test_the_bulk_pickers_say_what_to_type(admin_client):
    html = admin_client.get("/admin/skills/skillunlock/bulk/").content.decode()
    assert f'data-placeholder="{USERS_PLACEHOLDER}"' in html and f'data-placeholder="{SKILLS_PLACEHOLDER}"' in html


def test_the_user_autocomplete_finds_users_by_email(admin_client):
    UserFactory(username="ada", email="ada.lovelace@example.org")
    search = {"app_label": "skills", "model_name": "skillunlock", "field_name": "user", "term": "lovelace"}
    found = admin_client.get("/admin/autocomplete/", search).json()
    assert [item["text"] for item in found["results"]] == ["ada"]


def test_admin_and_learner_pages_link_the_local_favicon(admin_client, client):
    icon = '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">'
    assert icon in admin_client.get("/admin/").content.decode()
    assert icon in Client().get("/accounts/login/").content.decode()
    assert "<svg" in Path(finders.find("favicon.svg")).read_text()
