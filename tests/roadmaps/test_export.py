"""Exports: a roadmap as JSON (posted back to /api/deconstructions/ it gives the same plan), CSV
(one row a milestone, read back with the csv module) and a Markdown checklist; the practice
history as CSV. Files with a name, errors in JSON, query counts fixed."""

import csv
import io
import json
import re

import pytest
from rest_framework.test import APIClient

from roadmaps.export_formats import EXPORT_KIND
from roadmaps.models import SkillDeconstruction
from roadmaps.services.goals import deconstruction_create
from roadmaps.services.milestones import milestone_notes_update, milestone_reset
from roadmaps.services.practice import practice_activity_log
from roadmaps.services.roadmaps import roadmap_create, roadmap_update
from skillsite.negotiation import UNKNOWN_FORMAT
from tests.factories import PracticeActivityFactory, RoadmapFactory, UserFactory, make_roadmap, progress_of
from tests.roadmaps.plans import gated_plan

pytestmark = pytest.mark.django_db

NOTES = 'Left hand "lazy", right fine,\nthen: =SUM(A1) happened'


@pytest.fixture
def owner():
    """May unlock agent skills with their own plans, so the export carries an unlock to round-trip."""
    return UserFactory(permissions=["grant_unlock"])


@pytest.fixture
def roadmap(owner):
    """A gated plan: m1-1 completed by practice (with notes), m1-2 underway, m2-1 locked on m1-2."""
    data = gated_plan(unlocks_skills=("sql-optimize",))
    deconstruction, _ = deconstruction_create(
        owner=owner, user_query="learn to gate", skill_type="abstract", skill_name="Gates", data=data
    )
    roadmap = roadmap_create(owner=owner, title="Gates, “properly”", deconstruction=deconstruction)
    first = progress_of(roadmap, "m1-1")
    practice_activity_log(progress=first, activity_type="drill", title="a", reps=0, completion_time=7)
    practice_activity_log(progress=first, activity_type="drill", title="b", reps=1, completion_time=5)
    milestone_notes_update(progress=first, notes=NOTES)
    practice_activity_log(progress=progress_of(roadmap, "m1-2"), activity_type="drill", title="c", reps=0)
    return roadmap


def export(api, roadmap, fmt: str):
    return api.get(f"/api/roadmaps/{roadmap.pk}/export/?format={fmt}")


def csv_rows(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_the_json_export_holds_each_milestones_progress_and_practice(api, roadmap):
    response = export(api, roadmap, "json")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    assert re.fullmatch(r'attachment; filename="gates-properly-\d{4}-\d\d-\d\d\.json"', response["Content-Disposition"])
    data = json.loads(response.content)
    assert (data["export"], data["roadmap"]["title"], data["minutes_practised"]) == (EXPORT_KIND, roadmap.title, 12)
    first, second, gated = data["milestones"][:3]
    assert (first["id"], first["status"], first["practice_attempts"], first["practice_completions"]) == (
        "m1-1", "completed", 2, 1
    )  # fmt: skip
    assert (first["sessions"], first["minutes_practised"], first["notes"]) == (2, 12, NOTES)
    assert first["started_at"] and first["completed_at"]
    assert (second["status"], second["completed_at"]) == ("in_progress", None)
    assert (gated["locked"], gated["waiting_for"], gated["unlocks_skills"]) == (True, ["m1-2"], ["sql-optimize"])
    assert data["progress"]["milestones_completed"] == 1


def test_the_json_export_posted_back_gives_the_same_plan(api, roadmap):
    exported = json.loads(export(api, roadmap, "json").content)
    response = api.post("/api/deconstructions/", exported, format="json")
    assert response.status_code == 201, response.data
    original, copy = roadmap.deconstruction, SkillDeconstruction.objects.get(pk=response.data["id"])
    assert copy.deconstruction_data == original.deconstruction_data
    assert (copy.skill_name, copy.skill_type, copy.user_query) == (original.skill_name, "abstract", original.user_query)
    # and a roadmap over it shows the same milestones, locks included, with fresh progress
    created = api.post("/api/roadmaps/", {"deconstruction": str(copy.pk)}, format="json").data
    again = json.loads(api.get(f"/api/roadmaps/{created['id']}/export/?format=json").content)
    shape = ["level", "id", "title", "prerequisites", "unlocks_skills", "reps", "sets", "estimated_minutes"]
    assert [{k: m[k] for k in shape} for m in again["milestones"]] == [
        {k: m[k] for k in shape} for m in exported["milestones"]
    ]
    assert [m["locked"] for m in again["milestones"]] == [False, False, True, False, True, False]


def test_the_csv_export_has_one_row_a_milestone_read_back_by_the_csv_module(api, roadmap):
    response = export(api, roadmap, "csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].endswith('.csv"')
    assert response.content.startswith("\ufeff".encode())  # spreadsheets read it as UTF-8
    rows = csv_rows(response)
    plan_ids = [m["id"] for level in roadmap.deconstruction.deconstruction_data["levels"] for m in level["milestones"]]
    assert [row["id"] for row in rows] == plan_ids
    first, _, gated = rows[:3]
    assert (first["status"], first["practice_attempts"], first["minutes_practised"], first["sessions"]) == (
        "completed", "2", "12", "2"
    )  # fmt: skip
    assert first["notes"] == NOTES  # commas, quotes and the line break survive
    assert (gated["locked"], gated["waiting_for"], gated["prerequisites"]) == ("true", "m1-2", "m1-1 m1-2")
    assert (gated["unlocks_skills"], gated["started_at"], gated["level_title"]) == ("sql-optimize", "", "Level 2")


def test_a_cell_a_spreadsheet_would_run_as_a_formula_is_quoted(api, roadmap):
    milestone_notes_update(progress=progress_of(roadmap, "m1-2"), notes='=HYPERLINK("http://x")')
    row = csv_rows(export(api, roadmap, "csv"))[1]
    assert row["notes"] == '\'=HYPERLINK("http://x")'


def test_the_markdown_export_is_a_checklist(api, roadmap):
    response = export(api, roadmap, "md")
    assert response["Content-Type"] == "text/markdown; charset=utf-8"
    assert response["Content-Disposition"].endswith('.md"')
    text = response.content.decode()
    assert text.startswith("# Gates, “properly”\n")
    assert "## Level 1: Level 1\n\nLevel 1 of the plan\n\n- [x] **Milestone 1.1** — completed " in text
    assert "- [ ] **Milestone 1.2** — in progress\n" in text
    assert "- [ ] **Milestone 2.1** — locked\n" in text
    assert "  - Waits for: Milestone 1.2\n  - Unlocks the agent skill `sql-optimize`\n" in text
    assert '  - Notes: Left hand "lazy", right fine,\n    then: =SUM(A1) happened\n' in text
    assert "  - Do this now: Practise it (1 rep × 1 set; success: Done)\n" in text
    assert "  - Practice: 1 of 1 rep done, 2 sessions, 12 minutes\n" in text


def test_markup_in_a_title_is_escaped_in_markdown(api, owner):
    roadmap = make_roadmap(owner, "learn to juggle")
    roadmap_update(roadmap=roadmap, title="*Bold* <b>move</b> #1")
    text = export(api, roadmap, "md").content.decode()
    assert text.startswith("# \\*Bold\\* \\<b\\>move\\</b\\> \\#1\n")


def test_a_reset_milestone_exports_not_started_with_its_earlier_minutes(api, roadmap):
    milestone_reset(progress=progress_of(roadmap, "m1-2"))
    second = json.loads(export(api, roadmap, "json").content)["milestones"][1]
    assert (second["status"], second["practice_attempts"], second["sessions"]) == ("not_started", 0, 1)


@pytest.mark.parametrize("fmt", ["xml", ""])
def test_an_unknown_or_empty_format_gets_400_naming_the_formats(api, roadmap, fmt):
    response = export(api, roadmap, fmt)
    assert response.status_code == 400 and response["Content-Type"] == "application/json"
    assert response.json()["errors"] == {"format": [UNKNOWN_FORMAT.format(formats="json, csv, md")]}


@pytest.mark.parametrize("fmt", ["json", "csv", "md"])
def test_another_learner_and_staff_get_404_and_anonymous_401_in_json(roadmap, fmt):
    for user, status in [(UserFactory(), 404), (UserFactory(is_staff=True), 404), (None, 401)]:
        client = APIClient()
        if user:
            client.force_authenticate(user)
        response = export(client, roadmap, fmt)
        assert response.status_code == status and response["Content-Type"] == "application/json"
        assert "Content-Disposition" not in response


@pytest.mark.parametrize("fmt", ["json", "csv", "md"])
@pytest.mark.parametrize("milestones_per_level", [1, 10])
def test_the_export_runs_three_queries_whatever_its_size(
    owner, api, django_assert_num_queries, fmt, milestones_per_level
):
    roadmap = RoadmapFactory(owner=owner, deconstruction__milestones_per_level=milestones_per_level)
    for progress in roadmap.deconstruction.progress.all():
        PracticeActivityFactory.create_batch(2, progress=progress, reps=0)
    # the roadmap joined with its deconstruction, its progress rows, the sessions and minutes per milestone
    with django_assert_num_queries(3):
        response = export(api, roadmap, fmt)
    assert response.status_code == 200


# The practice history


def test_the_practice_history_exports_as_csv_oldest_first(api, owner, roadmap):
    other = make_roadmap(owner, "learn to juggle")
    practice_activity_log(progress=progress_of(other, "one-ball-arc"), activity_type="drill", title="d", reps=3)
    PracticeActivityFactory(progress=progress_of(RoadmapFactory()))  # someone else's
    response = api.get("/api/practice-activities/export/")
    assert response.status_code == 200 and response["Content-Type"] == "text/csv; charset=utf-8"
    assert re.fullmatch(r'attachment; filename="practice-\d{4}-\d\d-\d\d\.csv"', response["Content-Disposition"])
    rows = csv_rows(response)
    assert [row["title"] for row in rows] == ["a", "b", "c", "d"]
    assert rows[1]["roadmap"] == roadmap.title and rows[1]["milestone"] == "Milestone 1.1"
    assert (rows[1]["reps"], rows[1]["completed"], rows[1]["minutes"], rows[0]["minutes"]) == ("1", "true", "5", "7")
    assert (rows[3]["milestone_id"], rows[3]["roadmap"]) == ("one-ball-arc", other.title)
    filtered = csv_rows(api.get(f"/api/practice-activities/export/?roadmap={other.pk}"))
    assert [row["title"] for row in filtered] == ["d"]


def test_staff_export_only_their_own_practice(roadmap):
    staff = APIClient()
    staff.force_authenticate(UserFactory(is_staff=True))
    assert csv_rows(staff.get("/api/practice-activities/export/")) == []


def test_the_practice_export_refuses_other_formats(api):
    response = api.get("/api/practice-activities/export/?format=json")
    assert response.status_code == 400
    assert response.json()["errors"] == {"format": [UNKNOWN_FORMAT.format(formats="csv")]}


@pytest.mark.parametrize("roadmaps", [1, 5])
def test_the_practice_export_runs_three_queries_whatever_its_size(owner, api, django_assert_num_queries, roadmaps):
    for _ in range(roadmaps):
        roadmap = RoadmapFactory(owner=owner)
        PracticeActivityFactory.create_batch(3, progress=progress_of(roadmap))
    # the sessions joined with their progress rows, their deconstructions, the deconstructions' roadmaps
    with django_assert_num_queries(3):
        response = api.get("/api/practice-activities/export/")
    assert len(csv_rows(response)) == 3 * roadmaps


# The pages


def test_the_roadmap_and_practice_pages_link_the_downloads(client, owner, roadmap):
    client.force_login(owner)
    html = client.get(f"/roadmaps/{roadmap.pk}/").content.decode()
    for fmt in ["md", "csv", "json"]:
        assert f'href="/api/roadmaps/{roadmap.pk}/export/?format={fmt}" download' in html
    assert 'href="/api/practice-activities/export/" download' in client.get("/practice/").content.decode()
    assert client.get(f"/api/roadmaps/{roadmap.pk}/export/?format=md").status_code == 200  # the session suffices


def test_options_on_an_export_answers_json(api, roadmap):
    for url in [f"/api/roadmaps/{roadmap.pk}/export/?format=csv", "/api/practice-activities/export/"]:
        response = api.options(url)
        assert response.status_code == 200 and response["Content-Type"] == "application/json", url
