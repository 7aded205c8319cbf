"""The latency sketch: merging many at once is the same as merging them one by one."""

import random

import msgspec

from skills.sketch import LatencySketch


def sketch_of(values: list[float]) -> LatencySketch:
    sketch = LatencySketch()
    for value in values:
        sketch.add(value)
    return sketch


def test_merging_many_at_once_equals_merging_one_by_one():
    rng = random.Random(3)
    sketches = [sketch_of([rng.lognormvariate(5, 2) for _ in range(rng.randrange(0, 40))]) for _ in range(60)]
    sketches += [sketch_of([0, 0.0, 1]), LatencySketch(), sketch_of([10**7])]  # zeros, empty, far bins
    one_by_one = LatencySketch()
    for sketch in sketches:
        one_by_one.merge(sketch)

    at_once = LatencySketch.merged(sketches)

    assert at_once.to_json() == one_by_one.to_json()
    assert at_once.quantiles((0.5, 0.95, 0.99)) == one_by_one.quantiles((0.5, 0.95, 0.99))


def test_merging_nothing_gives_an_empty_sketch():
    assert LatencySketch.merged([]).to_json() == {} == LatencySketch.merged([LatencySketch()]).to_json()


def test_merging_stored_documents_equals_loading_and_merging_them():
    rng = random.Random(5)
    sketches = [sketch_of([rng.lognormvariate(4, 1.5) for _ in range(rng.randrange(0, 30))]) for _ in range(40)]
    sketches += [sketch_of([0, 0.0]), LatencySketch(), sketch_of([10**8])]
    documents = [msgspec.json.encode(sketch.to_json()).decode() for sketch in sketches]

    from_documents = LatencySketch.merged_json(documents)

    assert from_documents.to_json() == LatencySketch.merged([LatencySketch(s.to_json()) for s in sketches]).to_json()
    assert LatencySketch.merged_json([]).to_json() == {} == LatencySketch.merged_json(["{}"]).to_json()


def test_large_counts_do_not_carry_into_the_next_bin():
    # summed_bins adds each sketch's bins as one integer of 64-bit digits: totals just under 2**64
    # in neighbouring bins must stay in their own.
    big = 2**62
    first, second = LatencySketch(), LatencySketch()
    first.add(100, big)
    first.add(103, big)  # the next bin
    second.add(100, big + big // 2)
    second.add(103, 7)

    merged = LatencySketch.merged([first, second])

    one_by_one = LatencySketch()
    one_by_one.merge(first)
    one_by_one.merge(second)
    assert merged.bins == one_by_one.bins == [2 * big + big // 2, big + 7]
