"""Emergence mining: candidates from recurring skill sets; incremental equals full."""

import random
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command

from skills.ingestion.record import usage_events_record
from skills.models import CandidateStatus, EmergenceCandidate, MiningRun, MiningSession
from skills.services import emergence as emergence_module
from skills.services.emergence import emergence_mine

pytestmark = pytest.mark.django_db

START = datetime(2026, 11, 2, tzinfo=UTC)


@pytest.fixture
def no_overlap(settings):
    """Every event of a test is received within seconds: without this, each incremental
    run would re-mine everything inside the watermark's safety overlap."""
    settings.EMERGENCE_WATERMARK_OVERLAP_SECONDS = 0


def session(session_id: str, skills: list[str], *, context=("standard", "fire", "code"), failing: tuple = ()) -> list:
    tier, element, realm = context
    return [
        {
            "event_id": str(uuid.uuid4()),
            "skill_id": skill,
            "outcome": "failure" if skill in failing else "success",
            "session_id": session_id,
            "latency_ms": 100,
            "state_snapshot": {"tier": tier, "element": element, "realm": realm},
            "occurred_at": (START + timedelta(minutes=n)).isoformat(),
        }
        for n, skill in enumerate(skills)
    ]


def record(events: list) -> None:
    for start in range(0, len(events), 5000):
        usage_events_record(events=events[start : start + 5000], user=None)


def candidates() -> list[tuple]:
    return sorted(
        EmergenceCandidate.objects.values_list(
            "signature_hash", "skills", "tier", "element", "realm", "support_count", "avg_success_rate",
            "field_coherence", "status",
        )
    )  # fmt: skip


def test_a_set_recurring_in_three_sessions_of_one_context_becomes_a_candidate(settings):
    settings.EMERGENCE_REVIEW_SUPPORT = 4
    events = []
    for n in range(3):
        events += session(f"s{n}", ["pdf", "summarize"])
    events += session("s-other-context", ["pdf", "summarize"], context=("standard", "water", "docs"))
    events += session("s-single", ["pdf"])
    events += session("s-failed", ["pdf", "summarize", "translate"], failing=("translate",))
    record(events)
    call_command("mine_emergence")
    candidate = EmergenceCandidate.objects.get()
    assert candidate.skills == ["pdf", "summarize"]
    assert (candidate.tier, candidate.element, candidate.realm) == ("standard", "fire", "code")
    # s-failed's successful set is also {pdf, summarize}: 4 sessions in this context, 5 in any
    assert candidate.support_count == 4
    assert candidate.field_coherence == pytest.approx(4 / 5)
    assert candidate.avg_success_rate == pytest.approx((1 + 1 + 1 + 2 / 3) / 4, abs=1e-6)
    assert candidate.status == CandidateStatus.REVIEW


def test_a_new_candidate_below_the_review_support_is_monitored():
    record([e for n in range(3) for e in session(f"s{n}", ["a", "b"])])
    emergence_mine()
    assert EmergenceCandidate.objects.get().status == CandidateStatus.MONITORING


def test_the_thresholds_are_settings(settings):
    settings.EMERGENCE_MIN_SKILLS, settings.EMERGENCE_MIN_SUPPORT = 3, 2
    record([e for n in range(2) for skills in (["a", "b"], ["a", "b", "c"]) for e in session(f"{skills}{n}", skills)])
    emergence_mine()
    assert [c.skills for c in EmergenceCandidate.objects.all()] == [["a", "b", "c"]]


def test_mining_again_updates_rather_than_duplicates_and_keeps_reviewed_status(no_overlap):
    record([e for n in range(3) for e in session(f"s{n}", ["a", "b"])])
    emergence_mine()
    EmergenceCandidate.objects.update(status=CandidateStatus.APPROVED)
    record(session("s3", ["a", "b"]))
    emergence_mine()
    candidate = EmergenceCandidate.objects.get()
    assert candidate.support_count == 4 and candidate.status == CandidateStatus.APPROVED


def test_a_review_made_while_a_run_is_mining_is_kept(settings, no_overlap, monkeypatch):
    settings.EMERGENCE_REVIEW_SUPPORT = 4
    record([e for n in range(3) for e in session(f"s{n}", ["a", "b"])])
    emergence_mine()
    read_candidates = emergence_module.candidates_by_signature

    def read_then_a_reviewer_approves(signatures):
        found = read_candidates(signatures)
        EmergenceCandidate.objects.update(status=CandidateStatus.APPROVED)  # committed by another process
        return found

    monkeypatch.setattr(emergence_module, "candidates_by_signature", read_then_a_reviewer_approves)
    record(session("s3", ["a", "b"]))  # support 4: a monitored candidate would go to review
    emergence_mine()
    candidate = EmergenceCandidate.objects.get()
    assert (candidate.support_count, candidate.status) == (4, CandidateStatus.APPROVED)


def test_an_incremental_run_re_mines_only_sessions_with_new_events(no_overlap):
    record([e for n in range(5) for e in session(f"s{n}", ["a", "b"])])
    assert emergence_mine().sessions == 5
    record(session("s2", ["c"]) + session("s9", ["a", "b"]))
    report = emergence_mine()
    assert not report.full and report.sessions == 2
    assert EmergenceCandidate.objects.get(skills=["a", "b"]).support_count == 5
    assert MiningSession.objects.get(session_id="s2").skills == ["a", "b", "c"]


def test_a_run_where_most_sessions_have_new_events_is_a_full_one(no_overlap, monkeypatch):
    monkeypatch.setattr(emergence_module, "FULL_RUN_BELOW", 0)
    record([e for n in range(8) for e in session(f"s{n}", ["a", "b"])])
    emergence_mine()
    record([e for n in range(3) for e in session(f"s{n}", ["c"])])  # 3 of 8 sessions: over a quarter
    report = emergence_mine()
    assert report.full and report.sessions == 8
    assert EmergenceCandidate.objects.get(skills=["a", "b", "c"]).support_count == 3


def test_a_candidate_whose_sessions_all_moved_on_keeps_its_row_with_no_support(no_overlap):
    record([e for n in range(3) for e in session(f"s{n}", ["a", "b"])])
    emergence_mine()
    record([e for n in range(3) for e in session(f"s{n}", ["c"])])
    emergence_mine()
    incremental = candidates()
    emergence_mine(full=True)
    assert candidates() == incremental
    gone = EmergenceCandidate.objects.get(skills=["a", "b"])
    assert (gone.support_count, gone.status) == (0, CandidateStatus.MONITORING)
    assert EmergenceCandidate.objects.get(skills=["a", "b", "c"]).support_count == 3


def test_an_event_committed_after_a_run_saw_newer_ones_is_still_mined():
    # An ingest transaction stamps received_at before it commits: a run can see a newer event
    # first and move its watermark past this one. The overlap re-mines the window before it.
    record([e for n in range(3) for e in session(f"s{n}", ["a", "b"])])
    emergence_mine()
    record(session("s0", ["c"]))
    MiningRun.objects.update(watermark=datetime.now(UTC) + timedelta(seconds=5))
    emergence_mine()
    assert MiningSession.objects.get(session_id="s0").skills == ["a", "b", "c"]


def test_the_command_reports_the_run(capsys):
    record([e for n in range(3) for e in session(f"s{n}", ["a", "b"])])
    call_command("mine_emergence", "--full")
    assert "full run: 3 session(s) mined, 1 candidate(s) updated" in capsys.readouterr().out
    call_command("mine_emergence", verbosity=0)
    assert capsys.readouterr().out == ""


def generate_sessions(rng: random.Random, first: int, count: int) -> list:
    pool = [f"skill-{i}" for i in range(12)]
    contexts = [("standard", "fire", "code"), ("advanced", "water", "docs"), ("standard", "air", "ops")]
    events = []
    for n in range(first, first + count):
        skills = rng.sample(pool[: rng.choice([4, 6, 12])], rng.choice([1, 2, 2, 3]))
        failing = tuple(skills[:1]) if rng.random() < 0.15 else ()
        events += session(f"gen-{n}", skills, context=rng.choice(contexts), failing=failing)
    return events


@pytest.mark.slow
def test_incremental_mining_equals_a_full_re_mine_on_twenty_thousand_sessions(no_overlap, monkeypatch):
    monkeypatch.setattr(emergence_module, "CHUNK", 500)  # several chunks a run, as on a large log
    rng = random.Random(2026)
    record(generate_sessions(rng, 0, 19_800))
    emergence_mine()
    # 1 % new sessions, and new events in sessions already mined (their sets change)
    more = generate_sessions(rng, 19_800, 200)
    more += [e for n in range(0, 19_800, 97) for e in session(f"gen-{n}", ["skill-1", "skill-2"])]
    record(more)
    start = time.perf_counter()
    report = emergence_mine()
    incremental_seconds = time.perf_counter() - start
    assert not report.full and report.sessions == 200 + len(range(0, 19_800, 97))
    incremental = candidates()
    start = time.perf_counter()
    emergence_mine(full=True)
    full_seconds = time.perf_counter() - start
    assert candidates() == incremental
    assert len(incremental) > 100
    assert MiningSession.objects.values("session_id").distinct().count() == 20_000
    assert incremental_seconds < full_seconds
