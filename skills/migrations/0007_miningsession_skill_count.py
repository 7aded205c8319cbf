"""MiningSession.skill_count, so the miner filters out sets too small to mine in SQL.

Rows mined before it existed get their count from their skill list."""

from django.db import migrations, models


def fill_skill_count(apps, schema_editor):
    MiningSession = apps.get_model("skills", "MiningSession")
    batch = []
    for row in MiningSession.objects.only("id", "skills").iterator(chunk_size=2000):
        row.skill_count = len(row.skills or [])
        batch.append(row)
        if len(batch) >= 2000:
            MiningSession.objects.bulk_update(batch, ["skill_count"])
            batch = []
    MiningSession.objects.bulk_update(batch, ["skill_count"])


class Migration(migrations.Migration):
    dependencies = [
        ("skills", "0006_statement_level_key_trigger"),
    ]

    operations = [
        migrations.AddField(
            model_name="miningsession",
            name="skill_count",
            field=models.PositiveIntegerField(
                default=0, help_text="len(skills): lets SQL skip sets too small to mine."
            ),
        ),
        migrations.RunPython(fill_skill_count, migrations.RunPython.noop, elidable=True),
    ]
