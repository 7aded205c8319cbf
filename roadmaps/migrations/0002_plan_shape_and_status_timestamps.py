"""Invariants in the database: the plan's top-level keys, the timestamps each milestone
status implies, completed_at exactly when an activity is completed, and a trigger refusing
a progress row whose milestone is not in its deconstruction's plan (one per vendor: SQLite
drops triggers when it rebuilds a table, so a later migration that alters
roadmaps_milestoneprogress must create its SQLite trigger again; a test would notice)."""

from django.db import migrations, models

from skillsite.migration_ops import RunSQLOnPostgres, RunSQLOnSQLite

MILESTONE_EXISTS_FUNCTION = """
CREATE OR REPLACE FUNCTION roadmaps_progress_milestone_exists() RETURNS trigger AS $$
BEGIN
    IF NOT EXISTS (
        SELECT 1
        FROM roadmaps_skilldeconstruction d,
             jsonb_array_elements(d.deconstruction_data -> 'levels') AS level,
             jsonb_array_elements(level -> 'milestones') AS milestone
        WHERE d.id = NEW.deconstruction_id AND milestone ->> 'id' = NEW.milestone_id
    ) THEN
        RAISE EXCEPTION 'milestone % is not part of deconstruction %', NEW.milestone_id, NEW.deconstruction_id
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""

SQLITE_MILESTONE_EXISTS = """
CREATE TRIGGER roadmaps_progress_milestone_exists_{event}
    BEFORE {event} ON roadmaps_milestoneprogress
    WHEN NOT EXISTS (
        SELECT 1
        FROM roadmaps_skilldeconstruction d,
             json_each(d.deconstruction_data, '$.levels') AS level,
             json_each(level.value, '$.milestones') AS milestone
        WHERE d.id = NEW.deconstruction_id AND json_extract(milestone.value, '$.id') = NEW.milestone_id
    )
BEGIN
    SELECT RAISE(ABORT, 'milestone is not part of its deconstruction');
END;
"""


class Migration(migrations.Migration):
    dependencies = [("roadmaps", "0001_initial")]

    operations = [
        migrations.AddConstraint(
            model_name="milestoneprogress",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("completed_at__isnull", True), ("started_at__isnull", True), ("status", "not_started")),
                    models.Q(
                        ("completed_at__isnull", True),
                        ("started_at__isnull", False),
                        ("status__in", ["in_progress", "failed"]),
                    ),
                    models.Q(("completed_at__isnull", False), ("started_at__isnull", False), ("status", "completed")),
                    _connector="OR",
                ),
                name="progress_timestamps_match_status",
            ),
        ),
        migrations.AddConstraint(
            model_name="practiceactivity",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("completed", True), ("completed_at__isnull", False)),
                    models.Q(("completed", False), ("completed_at__isnull", True)),
                    _connector="OR",
                ),
                name="activity_completed_at_iff_completed",
            ),
        ),
        migrations.AddConstraint(
            model_name="skilldeconstruction",
            constraint=models.CheckConstraint(
                condition=models.Q(("deconstruction_data__has_keys", ["levels", "totalEstimatedTime", "difficulty"])),
                name="deconstruction_data_shape",
            ),
        ),
        RunSQLOnPostgres(
            MILESTONE_EXISTS_FUNCTION
            + """
            CREATE TRIGGER roadmaps_progress_milestone_exists
                BEFORE INSERT OR UPDATE OF milestone_id, deconstruction_id ON roadmaps_milestoneprogress
                FOR EACH ROW EXECUTE FUNCTION roadmaps_progress_milestone_exists();
            """,
            """
            DROP TRIGGER IF EXISTS roadmaps_progress_milestone_exists ON roadmaps_milestoneprogress;
            DROP FUNCTION IF EXISTS roadmaps_progress_milestone_exists();
            """,
        ),
        RunSQLOnSQLite(
            [
                SQLITE_MILESTONE_EXISTS.format(event="INSERT"),
                SQLITE_MILESTONE_EXISTS.format(event="UPDATE").replace(
                    "BEFORE UPDATE ON", "BEFORE UPDATE OF milestone_id, deconstruction_id ON"
                ),
            ],
            [
                "DROP TRIGGER IF EXISTS roadmaps_progress_milestone_exists_INSERT;",
                "DROP TRIGGER IF EXISTS roadmaps_progress_milestone_exists_UPDATE;",
            ],
        ),
    ]
