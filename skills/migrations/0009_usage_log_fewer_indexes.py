"""No single-column indexes on the log's skill and user: usage_skill_time_idx and
usage_user_time_idx lead with those columns, and every index is one more write an event.

SQLite alters a column by rebuilding the table, which drops its triggers: the trigger that
fills the event-id registry (migration 0004) is created again after the rebuild, in both
directions.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from skillsite.migration_ops import RunSQLOnSQLite

SQLITE_KEY_TRIGGER = """
CREATE TRIGGER IF NOT EXISTS skills_usageevent_key AFTER INSERT ON skills_usageevent
BEGIN
    INSERT INTO skills_usageeventkey (event_id, payload_sha256, occurred_at)
    VALUES (NEW.event_id, NEW.payload_sha256, NEW.occurred_at);
END;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("skills", "0008_aggregate_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # Backwards, this runs last: after the rebuild that restores the indexes.
        RunSQLOnSQLite(migrations.RunSQL.noop, SQLITE_KEY_TRIGGER),
        migrations.AlterField(
            model_name="usageevent",
            name="skill",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="usage_events",
                to="skills.skill",
            ),
        ),
        migrations.AlterField(
            model_name="usageevent",
            name="user",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="usage_events",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        RunSQLOnSQLite(SQLITE_KEY_TRIGGER, migrations.RunSQL.noop),
    ]
