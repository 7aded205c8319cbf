"""A trigger refusing a progress row whose milestone is not in its deconstruction's plan, one
per vendor (PostgreSQL: a plpgsql function; SQLite: a trigger for INSERT and one for UPDATE).
SQLite drops triggers when it rebuilds a table, and refuses to rebuild a table that a trigger
names: a later migration altering roadmaps_milestoneprogress or roadmaps_skilldeconstruction
must drop these SQLite triggers first and create them again after (a test would notice)."""

from django.db import migrations

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
