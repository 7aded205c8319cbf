"""Counters of free text (workflow paths, error types, follow-up actions): bounded, and knowing how
many distinct users sent each value.

Stored form: `{value: [count, [user ids]]}`, the ids the smallest METRICS_MIN_DISTINCT_USERS of
the users who sent the value, ascending. A shared read shows a value only once that many distinct
users sent it (issue 24): what one learner typed never reaches another. Two counters of disjoint
events merge by adding the counts and keeping the smallest ids of the union: the result does not
depend on the order, so the fold and `rebuild_metrics` agree.

Bounded: a roll-up row keeps at most METRICS_TOP_K values (`bounded`), the most frequent, ties
broken by the smaller value. While a row has seen no more than K distinct values it is exact.
Beyond that it is a Space-Saving summary (Metwally et al., 2005; merged as in Agarwal et al.,
"Mergeable summaries", 2012): a value the row does not hold enters with the row's smallest count
added (what it may have had before it was dropped), so a value that becomes common still rises
into the top K, and every held count exceeds the truth by at most the row's smallest count. The
ids are never carried over from a dropped value: a value's ids are users who did send it, so an
approximate row can hide a value from a shared read but never show one that fewer users sent.
`rebuild_metrics` computes the exact top K from the log.
"""

from __future__ import annotations

from bisect import insort
from collections.abc import Iterable

from django.conf import settings


def users_kept() -> int:
    """How many ids a value keeps: as many as a shared read asks for."""
    return settings.METRICS_MIN_DISTINCT_USERS


def _union(held: list[int], new: list[int], kept: int) -> list[int]:
    """The `kept` smallest ids of both ascending lists."""
    if len(held) >= kept and (not new or new[0] > held[-1]):
        return held  # the usual case once a value is shared: no new id is among the smallest
    return sorted(set(held).union(new))[:kept]


class TextCounter:
    """Counts of values with the smallest ids of their senders, exact (unbounded): one batch of
    events, or the rebuild's group; `bounded` makes a stored row of it."""

    __slots__ = ("entries", "kept")

    def __init__(self, stored: dict | None = None) -> None:
        self.kept = users_kept()
        # value → [count, ascending ids]: the stored form itself, so a row reads and writes as it is.
        self.entries: dict[str, list] = {value: [count, list(ids)] for value, (count, ids) in (stored or {}).items()}

    def __len__(self) -> int:
        return len(self.entries)

    def add(self, values: Iterable[str], user_id: int | None, n: int = 1) -> None:
        """`n` events of one user (None: unknown, counted but vouching for nobody) that sent `values`."""
        entries, kept = self.entries, self.kept
        for value in values:
            entry = entries.get(value)
            if entry is None:
                entries[value] = [n, [] if user_id is None else [user_id]]
                continue
            entry[0] += n
            ids = entry[1]
            if user_id is not None and user_id not in ids and (len(ids) < kept or user_id < ids[-1]):
                insort(ids, user_id)
                del ids[kept:]

    def merge(self, other: dict) -> None:
        """Adds a counter of other events, in the stored form (a row's, or another counter's
        `entries`): the same as adding those events."""
        entries, kept = self.entries, self.kept
        for value, (count, ids) in other.items():
            entry = entries.get(value)
            if entry is None:
                entries[value] = [count, ids[:kept]]
            else:
                entry[0] += count
                entry[1] = _union(entry[1], ids, kept)

    def counts(self, min_users: int = 0) -> dict[str, int]:
        """{value: count} of the values at least `min_users` distinct users sent, the most frequent first."""
        return {value: count for value, (count, ids) in self._ranked() if len(ids) >= min_users}

    def to_json(self, top_k: int) -> dict:
        """The `top_k` most frequent values, in the stored form."""
        return dict(self._ranked()[:top_k])

    def _ranked(self) -> list[tuple[str, list]]:
        """The entries, the most frequent first (ties: the smaller value first)."""
        return sorted(self.entries.items(), key=lambda item: (-item[1][0], item[0]))


def bounded(stored: dict, new: TextCounter, top_k: int) -> dict:
    """A stored row's counter (at most `top_k` values) with the counter of new events merged in,
    kept to the `top_k` most frequent (see the module: exact up to K distinct values)."""
    held = TextCounter(stored)
    # A full row may have dropped values before: one arriving now may have had up to its smallest count.
    floor = min(count for count, _ids in held.entries.values()) if len(held) >= top_k else 0
    entries, kept = held.entries, held.kept
    for value, (count, ids) in new.entries.items():
        entry = entries.get(value)
        if entry is None:
            entries[value] = [floor + count, ids[:kept]]
        else:
            entry[0] += count
            entry[1] = _union(entry[1], ids, kept)
    return held.to_json(top_k)
