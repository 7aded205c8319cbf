"""The roll-up queue as an operator watches it: how many stored events wait for a fold, and how
long the oldest has waited (the roll-ups' lag)."""

from __future__ import annotations

from typing import NamedTuple

from django.db.models import Count, Min
from django.utils import timezone

from ..models import UsageEventPending


class FoldQueue(NamedTuple):
    events: int
    oldest_age_seconds: float  # 0 when the queue is empty


def fold_queue() -> FoldQueue:
    """One query (the queue is kept short by the folds: its rows leave as they are folded)."""
    state = UsageEventPending.objects.aggregate(events=Count("id"), oldest=Min("received_at"))
    oldest = state["oldest"]
    age = max((timezone.now() - oldest).total_seconds(), 0.0) if oldest else 0.0
    return FoldQueue(events=state["events"], oldest_age_seconds=age)
