"""Progress of the long commands (a bar on a terminal, plain lines elsewhere) and of jobs in the admin."""

import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from skills import progress as progress_module
from skills.ingestion.record import usage_events_record
from skills.jobs.runner import RunProgress
from skills.models import Job, JobRun, RunStatus
from skills.services import emergence
from tests.factories import UserFactory
from tests.skills.telemetry_helpers import event_payload

pytestmark = pytest.mark.django_db


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def events():
    usage_events_record(events=[event_payload(n) for n in range(60)], user=UserFactory(), registers=True)


def test_off_a_terminal_a_long_command_prints_plain_lines_with_counts_and_an_eta(events, monkeypatch):
    monkeypatch.setattr(progress_module, "PLAIN_LINE_SECONDS", 0)
    monkeypatch.setattr(emergence, "PROGRESS_EVERY", 20)
    err, out = io.StringIO(), io.StringIO()
    call_command("mine_emergence", "--full", stderr=err, stdout=out)
    lines = err.getvalue().splitlines()
    assert lines[0].startswith("mine_emergence --full (events): 20/60 (33 %)") and "ETA" in lines[0]
    assert lines[1].startswith("mine_emergence --full (events): 40/60 (67 %)")
    assert lines[-1].startswith("mine_emergence --full (events): 60/60 (100 %)")
    assert "\r" not in err.getvalue() and "full run" in out.getvalue()


def test_rebuild_metrics_reports_its_steps_once_at_the_end_off_a_terminal(events):
    err = io.StringIO()
    call_command("rebuild_metrics", stderr=err, stdout=io.StringIO())
    assert err.getvalue().splitlines() == [err.getvalue().splitlines()[0]]
    assert err.getvalue().startswith("rebuild_metrics (steps): 8/8 (100 %)")


def test_verbosity_0_prints_no_progress(events, monkeypatch):
    monkeypatch.setattr(progress_module, "PLAIN_LINE_SECONDS", 0)
    err = io.StringIO()
    call_command("mine_emergence", "--full", verbosity=0, stderr=err, stdout=io.StringIO())
    call_command("rebuild_metrics", verbosity=0, stderr=err, stdout=io.StringIO())
    assert err.getvalue() == ""


def test_on_a_terminal_a_bar_is_drawn(events):
    err = Terminal()
    call_command("rebuild_metrics", stderr=err, stdout=io.StringIO())
    assert "\r" in err.getvalue() and "8/8" in err.getvalue() and "rebuild_metrics (steps)" in err.getvalue()


def test_a_running_jobs_page_shows_its_published_progress_and_refreshes(admin_client):
    run = JobRun.objects.create(job=Job.MINE_EMERGENCE_FULL, status=RunStatus.RUNNING, queued_at=timezone.now(),
                                started_at=timezone.now())  # fmt: skip
    reporter = RunProgress(run.pk, interval=0)
    reporter.start(5000)
    reporter.advance(1250)
    page = admin_client.get(f"/admin/skills/jobrun/{run.pk}/change/").content.decode()
    assert '<progress max="5000" value="1250" aria-label="events read">' in page
    assert "1,250/5,000 events read (25 %)" in page and "ETA" in page
    assert 'http-equiv="refresh"' in page
