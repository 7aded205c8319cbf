"""Fewer indexes on the aggregate tables every ingested batch upserts, and room on their pages.

The skill foreign keys' own indexes (and their varchar_pattern_ops twins) duplicate indexes
that already lead with skill. With no index on a column an upsert changes and free space on
the page (fillfactor), PostgreSQL updates those rows in place (HOT) instead of writing a new
tuple into every index.
"""

import django.db.models.deletion
from django.db import migrations, models

from skillsite.migration_ops import RunSQLOnPostgres

FILLFACTORS = {"skills_skillmetrics": 50, "skills_skilldailyusage": 70, "skills_sessionskill": 80}


class Migration(migrations.Migration):
    dependencies = [
        ("skills", "0007_miningsession_skill_count"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="sessionskill",
            name="sessionskill_skill_idx",
        ),
        migrations.AlterField(
            model_name="sessionskill",
            name="skill",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="session_uses",
                to="skills.skill",
            ),
        ),
        migrations.AlterField(
            model_name="skilldailyusage",
            name="skill",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="daily_usage",
                to="skills.skill",
            ),
        ),
        migrations.AlterField(
            model_name="skilluserusage",
            name="skill",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="user_usage",
                to="skills.skill",
            ),
        ),
        migrations.AddIndex(
            model_name="sessionskill",
            index=models.Index(fields=["skill"], name="sessionskill_skill_idx"),
        ),
        *[
            RunSQLOnPostgres(
                f"ALTER TABLE {table} SET (fillfactor = {fillfactor});", f"ALTER TABLE {table} RESET (fillfactor);"
            )
            for table, fillfactor in FILLFACTORS.items()
        ],
    ]
