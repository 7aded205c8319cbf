"""Latency sketches stored packed (see skills/sketch.py): the bin counts as zlib-compressed
little-endian uint64, base64-encoded, instead of a JSON list of numbers. Both directions
rewrite every stored sketch; the conversion is written out here so the migration does not
change with the application code."""

import base64
import sys
import zlib
from array import array

from django.db import migrations

TABLES = ["SkillMetrics", "SkillDailyUsage"]


def _counts_to_packed(counts: list[int]) -> str:
    packed = array("Q", counts)
    if sys.byteorder == "big":
        packed.byteswap()
    return base64.b64encode(zlib.compress(packed.tobytes(), 1)).decode("ascii")


def _packed_to_counts(text: str) -> list[int]:
    counts = array("Q", zlib.decompress(base64.b64decode(text)))
    if sys.byteorder == "big":
        counts.byteswap()
    return counts.tolist()


def _rewrite(apps, convert) -> None:
    for name in TABLES:
        model = apps.get_model("skills", name)
        changed = []
        for row in model.objects.exclude(latency_sketch={}).only("pk", "latency_sketch").iterator(chunk_size=2000):
            sketch = convert(dict(row.latency_sketch))
            if sketch is not None:
                row.latency_sketch = sketch
                changed.append(row)
        model.objects.bulk_update(changed, ["latency_sketch"], batch_size=500)


def pack(apps, schema_editor) -> None:
    def convert(sketch: dict):
        if "bins" not in sketch:
            return None
        sketch["packed"] = _counts_to_packed([int(c) for c in sketch.pop("bins")])
        return sketch

    _rewrite(apps, convert)


def unpack(apps, schema_editor) -> None:
    def convert(sketch: dict):
        if "packed" not in sketch:
            return None
        sketch["bins"] = _packed_to_counts(sketch.pop("packed"))
        return sketch

    _rewrite(apps, convert)


class Migration(migrations.Migration):
    dependencies = [("skills", "0009_usage_log_fewer_indexes")]

    operations = [migrations.RunPython(pack, unpack)]
