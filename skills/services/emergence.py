"""Emergence mining (seed 000's v_skill_cooccurrence → candidates) and candidate review.

A session's skill set, in one context (tier, element, realm from the state snapshot),
is its distinct successful skills; sets of at least EMERGENCE_MIN_SKILLS (2) that recur in
at least EMERGENCE_MIN_SUPPORT (3) sessions of the same context become candidates, keyed
by a hash of the ordered set and the context. For a candidate:
  * support_count — sessions with exactly that set in that context;
  * avg_success_rate — over those sessions, the mean share of their events that succeeded;
  * field_coherence — support_count / sessions with that same set in any context: 1.0
    when the set only ever appears in this context, lower when it is spread over many.
A candidate none of whose sessions still has its set (a session's set grows as its events
arrive) keeps its row and status with a support of 0. A new candidate starts in
monitoring and moves to review once its support reaches EMERGENCE_REVIEW_SUPPORT (10);
reviewed candidates keep their status.

Mining is incremental: a run re-mines the sessions with events received since the last
run's watermark (their MiningSession rows are replaced from the log), then recomputes the
candidates of every skill set those sessions had or now have, from MiningSession alone —
so its result equals a full re-mine (when most sessions have new events, a run is a full
one). The watermark is the newest received_at a run saw; the next run starts
EMERGENCE_WATERMARK_OVERLAP_SECONDS (300) before it, because an ingest transaction stamps
received_at before it commits, and re-mining a session twice is harmless while missing
one is not.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Count, Max, Min
from django.utils import timezone

from ..models import (
    CANDIDATE_TRANSITIONS,
    CandidateReview,
    CandidateStatus,
    EmergenceCandidate,
    MiningRun,
    MiningSession,
    Outcome,
    Skill,
    Tier,
    UsageEvent,
)
from ..progress import NO_PROGRESS, Progress
from .experiments import experiment_create, experiment_start
from .registry import skill_version_publish

ILLEGAL_CANDIDATE_TRANSITION = "Candidate {candidate} cannot go from {current} to {target}."
NOTE_REQUIRED = "Give a note for the review."
# A deployed composite starts at the lowest trust, for gradual rollout.
COMPOSITE_TRUST_LEVEL = 1
EXPERIMENT_SHARE = 1_000  # basis points: a composite deployed as an experiment reaches 10 % of users first
MEMBERS_ON_THEIR_OWN = "Use the member skills ({}) on their own, as you would without this composite.\n"
CONTEXT_KEYS = ("tier", "element", "realm")
# Bounded IN lists: SQLite refuses more than 32,766 parameters in a statement.
CHUNK = 2000
# An incremental run with more new sessions than this and than a quarter of all is run as a full one:
# same result (a test proves it), one pass over the log instead of thousands of IN lookups.
FULL_RUN_BELOW = 5000
# Two runs at once would both replace the same MiningSession rows.
MINING_LOCK_KEY = 0x5E11_0E4E
# Mining never writes an existing candidate's status wholesale: a reviewer may have changed
# it since the candidate was read (see _promote).
MINED_FIELDS = ["support_count", "avg_success_rate", "field_coherence", "last_seen"]


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def _hash(*parts) -> str:
    return hashlib.sha256("\x1f".join(map(str, parts)).encode()).hexdigest()


def _chunks(items: Iterable, size: int | None = None) -> Iterator[list]:
    items, size = sorted(items), size or CHUNK
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass
class MiningReport:
    full: bool
    sessions: int
    candidates: int


PROGRESS_EVERY = 10_000  # events between two progress reports


def _session_groups(session_ids: list[str] | None, progress: Progress = NO_PROGRESS) -> list[MiningSession]:
    """MiningSession rows computed from the log for these sessions (all sessions when None)."""
    groups: dict[tuple, dict] = {}
    read = 0
    events = UsageEvent.objects.exclude(session_id="").order_by()
    parts = [events] if session_ids is None else (events.filter(session_id__in=c) for c in _chunks(session_ids))
    for part in parts:
        for session_id, skill_id, outcome, snapshot, occurred_at in part.values_list(
            "session_id", "skill_id", "outcome", "state_snapshot", "occurred_at"
        ).iterator(chunk_size=10_000):
            read += 1
            if read == PROGRESS_EVERY:
                progress.advance(read)
                read = 0
            snapshot = snapshot if isinstance(snapshot, dict) else {}
            context = tuple(str(snapshot.get(key) or "")[:100] for key in CONTEXT_KEYS)
            group = groups.setdefault(
                (session_id, *context), {"skills": set(), "success": 0, "total": 0, "last": occurred_at}
            )
            group["total"] += 1
            group["last"] = max(group["last"], occurred_at)
            if outcome == Outcome.SUCCESS:
                group["success"] += 1
                group["skills"].add(skill_id)
    progress.advance(read)
    return [_session_row(key, group) for key, group in groups.items()]


def _session_row(key: tuple, group: dict) -> MiningSession:
    session_id, tier, element, realm = key
    skills = sorted(group["skills"])
    set_hash = _hash(*skills)
    return MiningSession(
        session_id=session_id, tier=tier, element=element, realm=realm, skills=skills, skill_count=len(skills),
        set_hash=set_hash, signature_hash=_hash(set_hash, tier, element, realm), success_events=group["success"],
        total_events=group["total"], last_seen=group["last"],
    )  # fmt: skip


def _signature_stats(set_hashes: set[str] | None) -> tuple[dict[str, dict], Counter]:
    """Per signature of these sets (all when None): support, first / last seen and success rate;
    and per set, its sessions in any context."""
    sessions = MiningSession.objects.filter(skill_count__gte=_setting("EMERGENCE_MIN_SKILLS", 2)).order_by()
    # A signature belongs to one set, so chunking by set never splits a signature.
    parts = [sessions] if set_hashes is None else (sessions.filter(set_hash__in=c) for c in _chunks(set_hashes))
    stats, per_set, rates = {}, Counter(), defaultdict(list)
    for part in parts:
        for row in part.values("signature_hash", "set_hash", "tier", "element", "realm").annotate(
            support=Count("id"), first=Min("last_seen"), last=Max("last_seen")
        ):
            stats[row["signature_hash"]] = row
            per_set[row["set_hash"]] += row["support"]
        for signature, success, total in part.values_list("signature_hash", "success_events", "total_events"):
            rates[signature].append(success / total if total else 0.0)
    for signature, row in stats.items():
        # fsum is exact whatever the order rows come in, so full and incremental runs agree to the bit.
        row["rate"] = round(math.fsum(rates[signature]) / len(rates[signature]), 6)
    return stats, per_set


def candidates_by_signature(signatures: set[str] | None) -> dict[str, EmergenceCandidate]:
    """The candidates of these signatures (all of them for None), read in chunks."""
    if signatures is None:
        return {c.signature_hash: c for c in EmergenceCandidate.objects.all()}
    found = {}
    for chunk in _chunks(signatures):
        found.update((c.signature_hash, c) for c in EmergenceCandidate.objects.filter(signature_hash__in=chunk))
    return found


def _skills_of(signatures: set[str]) -> dict[str, list[str]]:
    skills = {}
    for chunk in _chunks(signatures):
        rows = MiningSession.objects.filter(signature_hash__in=chunk).order_by().values("signature_hash")
        firsts = rows.annotate(first=Min("id")).values_list("first", flat=True)
        skills.update(MiningSession.objects.filter(id__in=list(firsts)).values_list("signature_hash", "skills"))
    return skills


def _refresh_candidates(set_hashes: set[str] | None, gone: set[str]) -> int:
    """Recomputes the candidates of these skill sets (all when None) from MiningSession;
    `gone` names signatures that may have lost all their sessions."""
    min_support, review_support = _setting("EMERGENCE_MIN_SUPPORT", 3), _setting("EMERGENCE_REVIEW_SUPPORT", 10)
    stats, per_set = _signature_stats(set_hashes)
    existing = candidates_by_signature(None if set_hashes is None else set(stats) | gone)
    fresh = {s for s, row in stats.items() if s not in existing and row["support"] >= min_support}
    skills = _skills_of(fresh)
    created = [
        EmergenceCandidate(
            signature_hash=s, skills=skills[s], tier=stats[s]["tier"], element=stats[s]["element"],
            realm=stats[s]["realm"], first_seen=stats[s]["first"], status=CandidateStatus.MONITORING,
        )
        for s in sorted(fresh)
    ]  # fmt: skip
    for candidate in [*created, *existing.values()]:
        row = stats.get(candidate.signature_hash)
        if row is None:  # none of its sessions has this set any more
            candidate.support_count, candidate.avg_success_rate, candidate.field_coherence = 0, 0.0, 0.0
            continue
        candidate.support_count, candidate.avg_success_rate, candidate.last_seen = (
            row["support"],
            row["rate"],
            row["last"],
        )
        candidate.field_coherence = round(row["support"] / per_set[row["set_hash"]], 6)
    for candidate in created:
        if candidate.support_count >= review_support:
            candidate.status = CandidateStatus.REVIEW
    EmergenceCandidate.objects.bulk_create(created, batch_size=500)
    EmergenceCandidate.objects.bulk_update(list(existing.values()), MINED_FIELDS, batch_size=500)
    _promote([c.pk for c in existing.values() if c.support_count >= review_support])
    return len(created) + len(existing)


def _promote(candidate_ids: list[int]) -> None:
    """Monitoring → review, as one conditional UPDATE: a status a reviewer set meanwhile stays."""
    for chunk in _chunks(candidate_ids):
        EmergenceCandidate.objects.filter(pk__in=chunk, status=CandidateStatus.MONITORING).update(
            status=CandidateStatus.REVIEW
        )


def _lock_mining() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [MINING_LOCK_KEY])
    # SQLite lets one writer at a time; a second run waits, then re-mines what it finds.


def _sessions_since(watermark) -> list[str]:
    events = UsageEvent.objects.exclude(session_id="").order_by()
    if watermark is not None:
        overlap = timedelta(seconds=_setting("EMERGENCE_WATERMARK_OVERLAP_SECONDS", 300))
        events = events.filter(received_at__gt=watermark - overlap)
    return list(events.values_list("session_id", flat=True).distinct())


def _replace_sessions(session_ids: list[str], progress: Progress) -> tuple[set[str], set[str], list[MiningSession]]:
    """Drops these sessions' MiningSession rows and recomputes them from the log:
    returns the sets and signatures they had, and the new rows."""
    old_sets, old_signatures = set(), set()
    for chunk in _chunks(session_ids):
        old = MiningSession.objects.filter(session_id__in=chunk)
        for set_hash, signature in old.values_list("set_hash", "signature_hash"):
            old_sets.add(set_hash)
            old_signatures.add(signature)
        old.delete()
    rows = _session_groups(session_ids, progress)
    MiningSession.objects.bulk_create(rows, batch_size=2000)
    return old_sets, old_signatures, rows


@transaction.atomic
def emergence_mine(*, full: bool = False, progress: Progress = NO_PROGRESS) -> MiningReport:
    """Re-mines the sessions with new events (or all, with full=True) and refreshes candidates;
    `progress` counts the events read."""
    _lock_mining()
    last = MiningRun.objects.filter(finished_at__isnull=False).first()
    watermark = UsageEvent.objects.aggregate(latest=Max("received_at"))["latest"]
    run = MiningRun.objects.create(full=full or last is None, started_at=timezone.now(), watermark=watermark)
    session_ids = [] if run.full else _sessions_since(last.watermark)
    if not run.full and len(session_ids) > max(FULL_RUN_BELOW, MiningSession.objects.count() // 4):
        run.full = True  # most sessions changed: one pass over the log beats thousands of lookups
    if run.full:
        progress.start(UsageEvent.objects.exclude(session_id="").count(), "mine_emergence --full (events)")
        MiningSession.objects.all().delete()
        rows = _session_groups(None, progress)
        MiningSession.objects.bulk_create(rows, batch_size=2000)
        touched = _refresh_candidates(None, set())
    else:
        progress.start(None, f"mine_emergence ({len(session_ids):,} sessions' events)")
        old_sets, old_signatures, rows = _replace_sessions(session_ids, progress)
        affected = old_sets | {row.set_hash for row in rows}
        touched = _refresh_candidates(affected, old_signatures) if affected else 0
    sessions = len({row.session_id for row in rows})  # a session can have rows in several contexts
    run.sessions_mined, run.candidates_touched, run.finished_at = sessions, touched, timezone.now()
    run.save(update_fields=["full", "sessions_mined", "candidates_touched", "finished_at"])
    progress.finish()
    return MiningReport(full=run.full, sessions=sessions, candidates=touched)


def candidate_transition_error(candidate: EmergenceCandidate, target: str) -> str | None:
    """Why the candidate cannot move to `target` from its status as read, or None when it can.
    The review services check again under a row lock; the admin asks first, before a note form."""
    if target in CANDIDATE_TRANSITIONS[candidate.status]:
        return None
    return ILLEGAL_CANDIDATE_TRANSITION.format(candidate=candidate, current=candidate.status, target=target)


def composite_skill_id(candidate: EmergenceCandidate) -> str:
    """The id of the composite skill that deploying the candidate publishes (at most 100 characters)."""
    return ("composite-" + "-".join(candidate.skills))[:92] + "-" + candidate.signature_hash[:7]


def _review(candidate: EmergenceCandidate, target: str, *, reviewer, note: str) -> EmergenceCandidate:
    candidate = EmergenceCandidate.objects.select_for_update().get(pk=candidate.pk)
    error = candidate_transition_error(candidate, target)
    if error:
        raise ValidationError(error)
    if not note or not note.strip():
        raise ValidationError(NOTE_REQUIRED)
    CandidateReview.objects.create(
        candidate=candidate, from_status=candidate.status, to_status=target, reviewer=reviewer, note=note.strip()
    )
    candidate.status = target
    candidate.reviewed_by, candidate.reviewed_at, candidate.review_notes = reviewer, timezone.now(), note.strip()
    candidate.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_notes"])
    return candidate


@transaction.atomic
def candidate_approve(*, candidate: EmergenceCandidate, reviewer, note: str) -> EmergenceCandidate:
    return _review(candidate, CandidateStatus.APPROVED, reviewer=reviewer, note=note)


@transaction.atomic
def candidate_reject(*, candidate: EmergenceCandidate, reviewer, note: str) -> EmergenceCandidate:
    return _review(candidate, CandidateStatus.REJECTED, reviewer=reviewer, note=note)


@transaction.atomic
def candidate_deploy(
    *, candidate: EmergenceCandidate, reviewer, note: str, as_experiment: bool = False
) -> EmergenceCandidate:
    """Deploying publishes a composite skill: tier composite, trust level 1, its version naming the
    members. `as_experiment`: the composite is tried on 10 % of the users first (EXPERIMENT_SHARE);
    the others are served a control version that tells the agent to use the member skills on their
    own, as before, and the experiment's figures say whether the composite does better."""
    candidate = _review(candidate, CandidateStatus.DEPLOYED, reviewer=reviewer, note=note)
    skill_id = composite_skill_id(candidate)
    skill, _created = Skill.objects.get_or_create(
        skill_id=skill_id,
        defaults={
            "display_name": " + ".join(candidate.skills)[:200],
            "description": f"Composite of {', '.join(candidate.skills)} (emerged in "
            f"{candidate.tier or '-'}/{candidate.element or '-'}/{candidate.realm or '-'}).",
            "tier": Tier.COMPOSITE,
            "trust_level": COMPOSITE_TRUST_LEVEL,
            "enabled": True,
            "meta": {"members": candidate.skills, "candidate": candidate.signature_hash},
        },
    )
    content = "---\nname: {}\ndescription: Composite skill\nmetadata:\n  members: {}\n---\n".format(
        skill_id, ", ".join(candidate.skills)
    )
    changelog = f"Deployed from candidate: {note}"
    if as_experiment and not skill.versions.filter(is_current=True).exists():
        skill_version_publish(skill=skill, content=content + MEMBERS_ON_THEIR_OWN.format(", ".join(candidate.skills)),
                              changelog=f"Control of the experiment: {note}", created_by=reviewer)  # fmt: skip
    published = skill_version_publish(
        skill=skill, content=content, changelog=changelog, created_by=reviewer, make_current=not as_experiment
    )
    if as_experiment:
        experiment = experiment_create(skill=skill, name=f"Deploy of candidate {candidate.pk}", created_by=reviewer,
                                       treatments=[(published, EXPERIMENT_SHARE)], min_effect=0.1)  # fmt: skip
        experiment_start(experiment=experiment, started_by=reviewer)
    candidate.deployed_skill = skill
    candidate.save(update_fields=["deployed_skill"])
    return candidate
