"""Emergence mining (seed 000's v_skill_cooccurrence → candidates) and candidate review.

A session's skill set, in one context (tier, element, realm from the state snapshot),
is its distinct successful skills; sets of at least EMERGENCE_MIN_SKILLS (2) that recur in
at least EMERGENCE_MIN_SUPPORT (3) sessions of the same context become candidates, keyed
by a hash of the ordered set and the context. For a candidate:
  * support_count — sessions with exactly that set in that context;
  * avg_success_rate — over those sessions, the mean share of their events that succeeded;
  * field_coherence — support_count / sessions with that same set in any context: 1.0
    when the set only ever appears in this context, lower when it is spread over many.
Mining is incremental: it re-mines the sessions with events received since the last
run (their MiningSession rows are replaced), then recomputes the candidates whose sets
those sessions had or now have, from MiningSession alone — so it equals a full re-mine.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Max, Min
from django.utils import timezone

from skills.models import (
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

from .registry import skill_version_publish

ILLEGAL_TRANSITION = "Candidate {candidate} cannot go from {current} to {target}."
NOTE_REQUIRED = "Give a note for the review."
CONTEXT_KEYS = ("tier", "element", "realm")


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def _hash(*parts) -> str:
    return hashlib.sha256("\x1f".join(map(str, parts)).encode()).hexdigest()


@dataclass
class MiningReport:
    full: bool
    sessions: int
    candidates: int


def _session_groups(session_ids: list[str] | None) -> list[MiningSession]:
    """MiningSession rows computed from the log for these sessions (all sessions when None)."""
    events = UsageEvent.objects.exclude(session_id="").order_by()
    if session_ids is not None:
        events = events.filter(session_id__in=session_ids)
    groups: dict[tuple, dict] = {}
    for session_id, skill_id, outcome, snapshot, occurred_at in events.values_list(
        "session_id", "skill_id", "outcome", "state_snapshot", "occurred_at"
    ).iterator(chunk_size=10_000):
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
    rows = []
    for (session_id, tier, element, realm), group in groups.items():
        skills = sorted(group["skills"])
        set_hash = _hash(*skills)
        rows.append(
            MiningSession(
                session_id=session_id, tier=tier, element=element, realm=realm, skills=skills, set_hash=set_hash,
                signature_hash=_hash(set_hash, tier, element, realm), success_events=group["success"],
                total_events=group["total"], last_seen=group["last"],
            )
        )  # fmt: skip
    return rows


def _refresh_candidates(set_hashes: set[str] | None) -> int:
    """Recomputes the candidates of these skill sets (all when None) from MiningSession."""
    min_skills, min_support = _setting("EMERGENCE_MIN_SKILLS", 2), _setting("EMERGENCE_MIN_SUPPORT", 3)
    review_support = _setting("EMERGENCE_REVIEW_SUPPORT", 10)
    sessions = MiningSession.objects.all()
    if set_hashes is not None:
        sessions = sessions.filter(set_hash__in=set_hashes)
    per_set = dict(sessions.values("set_hash").annotate(n=Count("id")).values_list("set_hash", "n"))
    stats = sessions.values("signature_hash", "set_hash", "tier", "element", "realm").annotate(
        support=Count("id"), first=Min("last_seen"), last=Max("last_seen")
    )
    rates = _success_rates(sessions)
    examples = dict(sessions.values_list("signature_hash", "skills").distinct())
    existing = {
        c.signature_hash: c
        for c in EmergenceCandidate.objects.filter(signature_hash__in=[s["signature_hash"] for s in stats])
    }
    touched = 0
    for row in stats:
        skills = examples[row["signature_hash"]]
        if len(skills) < min_skills:
            continue
        candidate = existing.get(row["signature_hash"])
        if candidate is None and row["support"] < min_support:
            continue
        candidate = candidate or EmergenceCandidate(
            signature_hash=row["signature_hash"], skills=skills, tier=row["tier"], element=row["element"],
            realm=row["realm"], first_seen=row["first"],
        )  # fmt: skip
        candidate.support_count = row["support"]
        candidate.avg_success_rate = rates[row["signature_hash"]]
        candidate.field_coherence = round(row["support"] / per_set[row["set_hash"]], 6)
        candidate.last_seen = row["last"]
        if candidate.status == CandidateStatus.MONITORING and candidate.support_count >= review_support:
            candidate.status = CandidateStatus.REVIEW
        candidate.save()
        touched += 1
    return touched


def _success_rates(sessions) -> dict[str, float]:
    """Mean over a signature's sessions of success_events / total_events, computed in Python
    so both databases round alike."""
    sums: dict[str, list] = defaultdict(lambda: [0.0, 0])
    for signature, success, total in sessions.values_list("signature_hash", "success_events", "total_events"):
        sums[signature][0] += success / total if total else 0.0
        sums[signature][1] += 1
    return {signature: round(total / count, 6) for signature, (total, count) in sums.items()}


@transaction.atomic
def emergence_mine(*, full: bool = False) -> MiningReport:
    """Re-mines the sessions with new events (or all, with full=True) and refreshes candidates."""
    now = timezone.now()
    last = MiningRun.objects.filter(finished_at__isnull=False).first()
    watermark = UsageEvent.objects.aggregate(latest=Max("received_at"))["latest"]
    run = MiningRun.objects.create(full=full or last is None, started_at=now, watermark=watermark)
    if run.full:
        MiningSession.objects.all().delete()
        rows = _session_groups(None)
        MiningSession.objects.bulk_create(rows, batch_size=2000)
        touched = _refresh_candidates(None)
    else:
        new = UsageEvent.objects.exclude(session_id="")
        if last.watermark is not None:
            new = new.filter(received_at__gt=last.watermark)
        session_ids = list(new.order_by().values_list("session_id", flat=True).distinct())
        old = MiningSession.objects.filter(session_id__in=session_ids)
        affected = set(old.values_list("set_hash", flat=True))
        old.delete()
        rows = _session_groups(session_ids)
        MiningSession.objects.bulk_create(rows, batch_size=2000)
        affected |= {row.set_hash for row in rows}
        touched = _refresh_candidates(affected) if affected else 0
    run.sessions_mined, run.candidates_touched, run.finished_at = len(rows), touched, timezone.now()
    run.save()
    return MiningReport(full=run.full, sessions=len(rows), candidates=touched)


def _review(candidate: EmergenceCandidate, target: str, *, reviewer, note: str) -> EmergenceCandidate:
    candidate = EmergenceCandidate.objects.select_for_update().get(pk=candidate.pk)
    if target not in CANDIDATE_TRANSITIONS[candidate.status]:
        raise ValidationError(ILLEGAL_TRANSITION.format(candidate=candidate, current=candidate.status, target=target))
    if not note or not note.strip():
        raise ValidationError(NOTE_REQUIRED)
    CandidateReview.objects.create(
        candidate=candidate, from_status=candidate.status, to_status=target, reviewer=reviewer, note=note.strip()
    )
    candidate.status = target
    candidate.reviewed_by, candidate.reviewed_at, candidate.review_notes = reviewer, timezone.now(), note.strip()
    candidate.save()
    return candidate


@transaction.atomic
def candidate_approve(*, candidate: EmergenceCandidate, reviewer, note: str) -> EmergenceCandidate:
    return _review(candidate, CandidateStatus.APPROVED, reviewer=reviewer, note=note)


@transaction.atomic
def candidate_reject(*, candidate: EmergenceCandidate, reviewer, note: str) -> EmergenceCandidate:
    return _review(candidate, CandidateStatus.REJECTED, reviewer=reviewer, note=note)


@transaction.atomic
def candidate_deploy(*, candidate: EmergenceCandidate, reviewer, note: str) -> EmergenceCandidate:
    """Deploying publishes a composite skill: tier composite, trust level 1, its version naming the members."""
    candidate = _review(candidate, CandidateStatus.DEPLOYED, reviewer=reviewer, note=note)
    skill_id = ("composite-" + "-".join(candidate.skills))[:92] + "-" + candidate.signature_hash[:7]
    skill, _created = Skill.objects.get_or_create(
        skill_id=skill_id,
        defaults={
            "display_name": " + ".join(candidate.skills)[:200],
            "description": f"Composite of {', '.join(candidate.skills)} (emerged in "
            f"{candidate.tier or '-'}/{candidate.element or '-'}/{candidate.realm or '-'}).",
            "tier": Tier.COMPOSITE,
            "trust_level": 1,
            "enabled": True,
            "meta": {"members": candidate.skills, "candidate": candidate.signature_hash},
        },
    )
    content = "---\nname: {}\ndescription: Composite skill\nmetadata:\n  members: {}\n---\n".format(
        skill_id, ", ".join(candidate.skills)
    )
    skill_version_publish(
        skill=skill, content=content, changelog=f"Deployed from candidate: {note}", created_by=reviewer
    )
    candidate.deployed_skill = skill
    candidate.save(update_fields=["deployed_skill"])
    return candidate
