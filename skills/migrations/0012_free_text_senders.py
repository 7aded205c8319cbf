"""The free-text counters keep who sent each value (skills/text_counter.py): `{value: count}` becomes
`{value: [count, []]}`, the most frequent METRICS_TOP_K values kept.

The log says who sent what; this migration does not read it (a full scan of the log inside a
migration). So the values counted before it name no sender, and a non-staff read shows none of
them — as before it, when these counters were staff-only — until `manage.py rebuild_metrics`
recounts them from the log (README, "Upgrading"). Reversed: back to `{value: count}`."""

from django.conf import settings
from django.db import migrations, models

COUNTERS = {"SkillMetrics": ("workflow_paths", "error_types", "follow_up_actions"),
            "SkillDailyUsage": ("workflow_paths", "error_types")}  # fmt: skip
BATCH = 1000


def _senders_kept(counter: dict) -> dict:
    entries = {value: entry if isinstance(entry, list) else [entry, []] for value, entry in counter.items()}
    ranked = sorted(entries.items(), key=lambda item: (-item[1][0], item[0]))
    return dict(ranked[: settings.METRICS_TOP_K])


def _counts_only(counter: dict) -> dict:
    return {value: entry[0] if isinstance(entry, list) else entry for value, entry in counter.items()}


def _convert(apps, convert) -> None:
    for name, columns in COUNTERS.items():
        model = apps.get_model("skills", name)
        changed = []
        for row in model.objects.only(*columns).order_by("pk").iterator(chunk_size=BATCH):
            for column in columns:
                setattr(row, column, convert(getattr(row, column)))
            changed.append(row)
            if len(changed) == BATCH:
                model.objects.bulk_update(changed, columns)
                changed = []
        model.objects.bulk_update(changed, columns)


def keep_senders(apps, schema_editor) -> None:
    _convert(apps, _senders_kept)


def counts_only(apps, schema_editor) -> None:
    _convert(apps, _counts_only)


class Migration(migrations.Migration):
    dependencies = [
        ("skills", "0011_feedback_notes_length"),
    ]

    operations = [
        migrations.RunPython(keep_senders, counts_only),
        migrations.AlterField(
            model_name="skilldailyusage",
            name="error_types",
            field=models.JSONField(
                blank=True,
                default=dict,
                help_text="{error type: [count, [the smallest ids of the users who sent it]]}, the most frequent METRICS_TOP_K (skills/text_counter.py).",
            ),
        ),
        migrations.AlterField(
            model_name="skilldailyusage",
            name="workflow_paths",
            field=models.JSONField(
                blank=True,
                default=dict,
                help_text="{path: [count, [the smallest ids of the users who sent it]]}, the most frequent METRICS_TOP_K (skills/text_counter.py).",
            ),
        ),
        migrations.AlterField(
            model_name="skillmetrics",
            name="error_types",
            field=models.JSONField(
                blank=True,
                default=dict,
                help_text="{error type: [count, [the smallest ids of the users who sent it]]}, the most frequent METRICS_TOP_K (skills/text_counter.py).",
            ),
        ),
        migrations.AlterField(
            model_name="skillmetrics",
            name="follow_up_actions",
            field=models.JSONField(
                blank=True,
                default=dict,
                help_text="{follow-up action: [count, [the smallest ids of the users who sent it]]}, the most frequent METRICS_TOP_K (skills/text_counter.py).",
            ),
        ),
        migrations.AlterField(
            model_name="skillmetrics",
            name="workflow_paths",
            field=models.JSONField(
                blank=True,
                default=dict,
                help_text="{path: [count, [the smallest ids of the users who sent it]]}, the most frequent METRICS_TOP_K (skills/text_counter.py).",
            ),
        ),
    ]
