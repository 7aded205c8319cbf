"""The latency sketch: merging many at once is the same as merging them one by one."""

import random

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
