"""The roll-up columns declared once (skills/models/rollups.py): the daily and version rows now carry
the same help texts as the metrics row for the columns they share (no change to the tables)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("skills", "0003_version_file_modes"),
    ]

    operations = [
        migrations.AlterField(
            model_name="skilldailyusage",
            name="duration_count",
            field=models.PositiveIntegerField(default=0, help_text="Events that reported a latency."),
        ),
        migrations.AlterField(
            model_name="skilldailyusage",
            name="error_types",
            field=models.JSONField(blank=True, default=dict, help_text="{error_type: count}"),
        ),
        migrations.AlterField(
            model_name="skilldailyusage",
            name="workflow_paths",
            field=models.JSONField(blank=True, default=dict, help_text="{path: count}"),
        ),
        migrations.AlterField(
            model_name="skillversionusage",
            name="duration_count",
            field=models.PositiveIntegerField(default=0, help_text="Events that reported a latency."),
        ),
    ]
