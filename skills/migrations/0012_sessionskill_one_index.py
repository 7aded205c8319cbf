"""SessionSkill keeps one index: UNIQUE (skill, session_id) serves lookups by skill as well.

Ingestion inserts a row for nearly every new (session, skill) pair; the separate skill index
cost about a fifth of each such insert. Its rows are listed by skill, then session.
"""

from importlib import import_module

from django.db import migrations, models

from skillsite.migration_ops import RunSQLOnSQLite

# SQLite rebuilds the table to change its constraints, and refuses while a trigger names it.
rollup_trigger = import_module("skills.migrations.0011_session_and_user_rollup_trigger")


class Migration(migrations.Migration):
    dependencies = [
        ("skills", "0011_session_and_user_rollup_trigger"),
    ]

    operations = [
        RunSQLOnSQLite(rollup_trigger.SQLITE_DROP, rollup_trigger.SQLITE_TRIGGER),
        migrations.AlterModelOptions(
            name="sessionskill",
            options={"ordering": ["skill_id", "session_id"]},
        ),
        migrations.RemoveConstraint(
            model_name="sessionskill",
            name="sessionskill_unique",
        ),
        migrations.RemoveIndex(
            model_name="sessionskill",
            name="sessionskill_skill_idx",
        ),
        migrations.AddConstraint(
            model_name="sessionskill",
            constraint=models.UniqueConstraint(fields=("skill", "session_id"), name="sessionskill_unique"),
        ),
        RunSQLOnSQLite(rollup_trigger.SQLITE_TRIGGER, rollup_trigger.SQLITE_DROP),
    ]
