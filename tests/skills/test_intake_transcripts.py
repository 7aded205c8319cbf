"""import_claude_transcripts: Skill calls from Claude Code's JSONL transcripts (fixtures under transcripts/)."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from skills.intake.transcripts import NOT_JSON, claude_transcripts_import
from skills.management.commands.import_claude_transcripts import SOME_FAILED
from skills.models import HeldUsageEvent, SessionSkill, SkillMetrics, UsageEvent

FOLDER = Path(__file__).parent / "transcripts"
SESSION_A = "7c0e2a4e-3b1f-4c59-9d1e-5a6b7c8d9e01"
SESSION_B = "9f1d3c2b-6a5e-4d7c-8b9a-0e1f2a3b4c5d"

# The transcripts name skills nobody registered, as an operator's may.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("user_registers_skills")]


def run(*args) -> tuple[str, str, CommandError | None]:
    out, err = StringIO(), StringIO()
    try:
        call_command("import_claude_transcripts", *args, stdout=out, stderr=err)
    except CommandError as error:
        return out.getvalue(), err.getvalue(), error
    return out.getvalue(), err.getvalue(), None


def test_each_skill_call_becomes_an_event_with_its_outcome_time_and_tokens(user):
    out, err, error = run(str(FOLDER), "--user", user.username)

    events = {e.artifacts["tool_use_id"]: e for e in UsageEvent.objects.all()}
    assert set(events) == {"toolu_A1", "toolu_B1"}
    pdf, review = events["toolu_A1"], events["toolu_B1"]
    # from the call to its result; the turns up to the user's next: msg_02 (5 + 200 + 100) and msg_03 (3 + 0 + 400)
    assert (pdf.skill_id, pdf.outcome, pdf.latency_ms, pdf.tokens_used) == ("pdf-extract", "success", 900, 708)
    assert (pdf.session_id, pdf.project_path, pdf.user_id) == (SESSION_A, "/home/dev/report", user.pk)
    # a plugin's skill is its own (held for staff to map), with its error's text
    summarize = HeldUsageEvent.objects.get()
    assert summarize.unregistered.name == "team:summarize"
    assert (summarize.payload["outcome"], summarize.payload["error_type"]) == ("error", "Unknown skill: team:summarize")
    # the session stopped right after the skill loaded
    assert (review.skill_id, review.outcome, review.session_id) == ("code-review", "abandoned", SESSION_B)
    assert SkillMetrics.objects.get(skill_id="pdf-extract").tokens_used_sum == 708
    assert SessionSkill.objects.filter(session_id=SESSION_A).count() == 1

    assert "files 2, skill calls 3, imported 3, already imported 0, failed 1" in out
    broken = FOLDER / "-home-dev-report" / f"{SESSION_B}.jsonl"
    assert err.startswith(f"FAILED {broken}:3: {NOT_JSON.split(':')[0]}")
    assert str(error) == SOME_FAILED.format(count=1)


def test_a_second_import_stores_nothing_twice(user):
    claude_transcripts_import(paths=[FOLDER], user=user)
    out, _err, _error = run(str(FOLDER), "--user", user.username)
    assert "imported 0, already imported 3" in out
    assert UsageEvent.objects.count() == 2 and HeldUsageEvent.objects.count() == 1
    assert SkillMetrics.objects.get(skill_id="pdf-extract").total_invocations == 1


def test_a_single_file_and_a_missing_path(tmp_path):
    report = claude_transcripts_import(paths=[FOLDER / "-home-dev-report" / f"{SESSION_A}.jsonl", tmp_path / "nope"])
    assert (report.files, report.created) == (1, 2)
    assert [str(p) for p in report.problems] == [f"{tmp_path / 'nope'}: no such file or folder"]
    assert UsageEvent.objects.filter(user__isnull=True).count() == 1
    assert HeldUsageEvent.objects.filter(user__isnull=True).count() == 1
