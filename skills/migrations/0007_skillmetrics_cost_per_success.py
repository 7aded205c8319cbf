"""SkillMetrics.cost_per_success_usd (declared in skills/models/rollups.py), filled for the rows
already folded with the declaration's formula: every use's cost over the successful uses."""

from decimal import Decimal

from django.db import migrations, models

MICRODOLLAR = Decimal("0.000001")


def fill(apps, schema_editor):
    SkillMetrics = apps.get_model("skills", "SkillMetrics")
    rows = list(SkillMetrics.objects.filter(completed_count__gt=0).only("cost_usd_sum", "completed_count"))
    for row in rows:
        row.cost_per_success_usd = (Decimal(row.cost_usd_sum) / row.completed_count).quantize(MICRODOLLAR)
    SkillMetrics.objects.bulk_update(rows, ["cost_per_success_usd"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [("skills", "0006_skillunlock_grant_permission")]

    operations = [
        migrations.AddField(
            model_name="skillmetrics",
            name="cost_per_success_usd",
            field=models.DecimalField(
                blank=True,
                decimal_places=6,
                help_text="Cost in USD of every use over the successful ones.",
                max_digits=18,
                null=True,
            ),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
