"""Latency percentiles kept incrementally by a DDSketch, stored as compact JSON.

DDSketch (Masson et al., VLDB 2019) guarantees that every quantile it returns is
within RELATIVE_ACCURACY (1 %) of the true value at that rank, and two sketches
merge exactly (bin counts add). A sketch of a multiset does not depend on the
order values were added, so incremental ingestion and a rebuild from the log give
identical sketches.

The bins are the `ddsketch` package's default (a logarithmic mapping), computed
here directly: ingestion merges a sketch into a hundred stored rows a batch, and
the package's Python objects cost more than the rest of the batch's arithmetic.
Latencies are non-negative, so only positive bins and a zero count are kept.

Stored form: the bin counts from `min_key` on, as little-endian uint64, zlib-
compressed and base64-encoded under "packed" (a few hundred bytes where a JSON
list of ~300 numbers took ~4 kB, which PostgreSQL had to parse, compress into
TOAST and print again for every read).
"""

from __future__ import annotations

import base64
import binascii
import math
import sys
import zlib
from array import array
from bisect import bisect_right
from collections.abc import Iterable
from itertools import accumulate
from operator import add

import msgspec

RELATIVE_ACCURACY = 0.01

_GAMMA_MANTISSA = 2 * RELATIVE_ACCURACY / (1 - RELATIVE_ACCURACY)
_GAMMA = 1 + _GAMMA_MANTISSA
# ddsketch.LogarithmicMapping: key = ceil(log2(v) * multiplier), value(key) = 2^(key / multiplier) * 2 / (1 + gamma).
_MULTIPLIER = math.log(2) / math.log1p(_GAMMA_MANTISSA)
_VALUE_FACTOR = 2.0 / (1 + _GAMMA)
# Below this a value is counted as zero (ddsketch's min_possible).
_MIN_POSITIVE = sys.float_info.min * _GAMMA
_BIG_ENDIAN = sys.byteorder == "big"


def bin_key(value: float) -> int:
    return int(math.ceil(math.log(value, 2) * _MULTIPLIER))


def bin_value(key: int) -> float:
    return math.pow(2.0, key / _MULTIPLIER) * _VALUE_FACTOR


class StoredSketch(msgspec.Struct):
    """A sketch's stored document (`LatencySketch.to_json`), decoded from JSON text in one call."""

    packed: str = ""
    min_key: int = 0
    zero: int = 0
    count: int = 0
    sum: float = 0.0
    min: float = math.inf
    max: float = -math.inf
    alpha: float = RELATIVE_ACCURACY


decode_stored = msgspec.json.Decoder(StoredSketch, strict=False).decode  # lax, as `_load` is


def stored_counts(packed: str) -> bytes:
    """A stored sketch's bin counts: little-endian uint64s."""
    return zlib.decompress(binascii.a2b_base64(packed))


def counts_to_bytes(bins: list[int]) -> bytes:
    counts = array("Q", bins)
    if _BIG_ENDIAN:
        counts.byteswap()
    return counts.tobytes()


def counts_from_bytes(data: bytes) -> list[int]:
    counts = array("Q", data)
    if _BIG_ENDIAN:
        counts.byteswap()
    return counts.tolist()


def summed_bins(pieces: list[tuple[int, bytes]]) -> tuple[int, list[int]]:
    """Many sketches' bin counts, each given as (min_key, its counts as stored), added bin by bin.

    Each sketch's counts are read as one integer whose 64-bit digits are its bins, shifted to its
    first bin's place in the common range: adding those integers adds every bin at once, in C (the
    dashboard merges thousands). No bin carries into the next, as no count reaches 2**64."""
    if not pieces:
        return 0, []
    low = min(min_key for min_key, _counts in pieces)
    width = max(min_key - low + len(counts) // 8 for min_key, counts in pieces)
    total = sum(int.from_bytes(counts, "little") << (64 * (min_key - low)) for min_key, counts in pieces)
    return low, counts_from_bytes(total.to_bytes(8 * width, "little"))


class LatencySketch:
    """Counts of values by logarithmic bin (dense from `min_key`), plus zero count, count, sum, min, max."""

    __slots__ = ("bins", "count", "max", "min", "min_key", "sum", "zero")

    def __init__(self, data: dict | None = None) -> None:
        self.min_key = 0
        self.bins: list[int] = []
        self.zero = 0
        self.count = 0
        self.sum = 0.0
        self.min = math.inf
        self.max = -math.inf
        if data:
            self._load(data)

    def _load(self, data: dict) -> None:
        if "packed" in data:
            self.bins = counts_from_bytes(stored_counts(data["packed"]))
        self.min_key = data.get("min_key", 0)
        self.zero = int(data.get("zero", 0))
        self.count = int(data.get("count", 0))
        self.sum = float(data.get("sum", 0))
        self.min = float(data.get("min", "inf"))
        self.max = float(data.get("max", "-inf"))

    def add(self, value: float, weight: int = 1) -> None:
        """Adds `weight` occurrences of a non-negative value."""
        if value > _MIN_POSITIVE:
            self._add_to_bin(bin_key(value), weight)
        else:
            self.zero += weight
        self.count += weight
        self.sum += value * weight
        if value < self.min:
            self.min = value
        if value > self.max:
            self.max = value

    def _add_to_bin(self, key: int, weight: int) -> None:
        bins = self.bins
        if not bins:
            self.min_key, self.bins = key, [weight]
            return
        index = key - self.min_key
        if index < 0:
            self.bins = bins = [0] * -index + bins
            self.min_key, index = key, 0
        elif index >= len(bins):
            bins.extend([0] * (index - len(bins) + 1))
        bins[index] += weight

    def merge(self, other: LatencySketch) -> None:
        if not other.count:
            return
        if other.bins:
            # Widen once to cover the other's keys, then add bin by bin.
            self._add_to_bin(other.min_key, 0)
            self._add_to_bin(other.min_key + len(other.bins) - 1, 0)
            start = other.min_key - self.min_key
            end = start + len(other.bins)
            self.bins[start:end] = map(add, self.bins[start:end], other.bins)  # added in C
        self.zero += other.zero
        self.count += other.count
        self.sum += other.sum
        self.min = min(self.min, other.min)
        self.max = max(self.max, other.max)

    @classmethod
    def merged(cls, sketches: Iterable[LatencySketch]) -> LatencySketch:
        """The merge of many sketches at once, equal to merging them one by one (`summed_bins`)."""
        sketches = [sketch for sketch in sketches if sketch.count]
        return cls._of_parts(sketches, [(s.min_key, counts_to_bytes(s.bins)) for s in sketches if s.bins])

    @classmethod
    def merged_json(cls, documents: Iterable[str]) -> LatencySketch:
        """The merge of stored sketches (`to_json`'s documents as JSON text), equal to loading and
        merging them one by one, without a sketch object each: a month of the dashboard is thousands."""
        stored = [sketch for sketch in map(decode_stored, documents) if sketch.count]
        return cls._of_parts(stored, [(s.min_key, stored_counts(s.packed)) for s in stored if s.packed])

    @classmethod
    def _of_parts(cls, sketches: list, bins: list[tuple[int, bytes]]) -> LatencySketch:
        """A sketch from the bins and the totals (zero, count, sum, min, max) of many."""
        result = cls()
        result.min_key, result.bins = summed_bins(bins)
        for sketch in sketches:  # in order, as merging them one by one adds the sums
            result.zero += sketch.zero
            result.count += sketch.count
            result.sum += sketch.sum
            result.min = min(result.min, sketch.min)
            result.max = max(result.max, sketch.max)
        return result

    def quantile(self, q: float) -> float | None:
        return self.quantiles((q,))[0]

    def quantiles(self, qs: tuple[float, ...]) -> tuple[float | None, ...]:
        """The value at rank q·(count − 1) for each q, as ddsketch's get_quantile_value computes it."""
        if not self.count:
            return tuple(None for _ in qs)
        if not self.bins:
            return tuple(0.0 for _ in qs)
        # cumulative[i] = how many values fall in the zero bucket or the bins before i.
        cumulative = list(accumulate(self.bins, initial=self.zero))
        values = []
        for q in qs:
            rank = q * (self.count - 1)
            if rank < cumulative[0]:
                values.append(0.0)
                continue
            index = bisect_right(cumulative, rank, lo=1) - 1  # the first bin whose running count passes rank
            values.append(bin_value(self.min_key + min(index, len(self.bins) - 1)))
        return tuple(values)

    def to_json(self) -> dict:
        if not self.count:
            return {}
        bins = self.bins
        low = next((i for i, c in enumerate(bins) if c), len(bins))  # stored trimmed: merges may leave zero ends
        high = len(bins) - next((i for i, c in enumerate(reversed(bins)) if c), len(bins))
        return {
            "alpha": RELATIVE_ACCURACY,
            "min_key": self.min_key + low if high > low else 0,
            "packed": base64.b64encode(zlib.compress(counts_to_bytes(bins[low:high]), 1)).decode("ascii"),
            "zero": self.zero,
            "count": self.count,
            "sum": self.sum,
            "min": float(self.min),
            "max": float(self.max),
        }
