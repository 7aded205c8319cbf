"""Emergence mining: candidates from recurring skill sets; incremental equals full."""

import random
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command

from skills.models import CandidateStatus, EmergenceCandidate, MiningSession
from skills.services import usage_events_record
from skills.services.emergence import emergence_mine

pytestmark = pytest.mark.django_db

START = datetime(2026, 11, 2, tzinfo=UTC)


def session(session_id: str, skills: list[str], *, context=("standard", "fire", "code"), failing: tuple = ()) -> list:
    tier, element, realm = context
    events = []
    for n, skill in enumerate(skills):
        outcome = "failure" if skill in failing else "success"
        events.append(
            {
                "event_id": str(uuid.uuid4()),
                "skill_id": skill,
                "outcome": outcome,
                "session_id": session_id,
                "latency_ms": 100,
                "state_snapshot": {"tier": tier, "element": element, "realm": realm},
                "occurred_at": (START + timedelta(minutes=n)).isoformat(),
            }
        )
    return events


def record(events: list) -> None:
    for start in range(0, len(events), 1000):
        usage_events_record(events=events[start : start + 1000], user=None)


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


def test_mining_again_updates_rather_than_duplicates_and_keeps_reviewed_status():
    record([e for n in range(3) for e in session(f"s{n}", ["a", "b"])])
    emergence_mine()
    EmergenceCandidate.objects.update(status=CandidateStatus.APPROVED)
    record(session("s3", ["a", "b"]))
    emergence_mine()
    candidate = EmergenceCandidate.objects.get()
    assert candidate.support_count == 4 and candidate.status == CandidateStatus.APPROVED


def test_an_incremental_run_re_mines_only_sessions_with_new_events():
    record([e for n in range(5) for e in session(f"s{n}", ["a", "b"])])
    assert emergence_mine().sessions == 5
    record(session("s2", ["c"]) + session("s9", ["a", "b"]))
    report = emergence_mine()
    assert not report.full and report.sessions == 2
    assert EmergenceCandidate.objects.get(skills=["a", "b"]).support_count == 5
    assert MiningSession.objects.get(session_id="s2").skills == ["a", "b", "c"]


def generate_sessions(rng: random.Random, first: int, count: int) -> list:
    pool = [f"skill-{i}" for i in range(12)]
    contexts = [("standard", "fire", "code"), ("advanced", "water", "docs"), ("standard", "air", "ops")]
    events = []
    for n in range(first, first + count):
        size = rng.choice([2, 2, 3])
        skills = rng.sample(pool[: rng.choice([4, 6, 12])], size)
        failing = tuple(skills[:1]) if rng.random() < 0.15 else ()
        events += session(f"gen-{n}", skills, context=rng.choice(contexts), failing=failing)
    return events


def test_incremental_mining_equals_a_full_re_mine_on_twenty_thousand_sessions():
    rng = random.Random(2026)
    record(generate_sessions(rng, 0, 19_000))
    emergence_mine()
    # new sessions, and new events in sessions already mined
    more = generate_sessions(rng, 19_000, 1_000)
    more += [e for n in range(0, 19_000, 97) for e in session(f"gen-{n}", ["skill-1", "skill-2"])]
    record(more)
    emergence_mine()
    incremental = candidates()
    emergence_mine(full=True)
    assert candidates() == incremental
    assert len(incremental) > 10
    assert MiningSession.objects.filter(session_id__startswith="gen-").values("session_id").distinct().count() == 20_000
