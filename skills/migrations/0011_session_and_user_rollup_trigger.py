"""SessionSkill and SkillUserUsage are kept by the database: a trigger on the log adds each
inserted event to its (session, skill) and (skill, user) rows.

On PostgreSQL it runs once per statement over the statement's new rows (a transition table),
so a batch's COPY moves both roll-ups in two grouped upserts while Python computes the
others; SQLite runs it per row. Partition maintenance, which moves stored events between
partitions, sets `skillsite.maintenance` and is not counted again.
"""

from django.db import migrations

from skillsite.migration_ops import RunSQLOnPostgres, RunSQLOnSQLite

POSTGRES_TRIGGER = """
CREATE OR REPLACE FUNCTION skills_usageevent_roll_up() RETURNS trigger AS $$
BEGIN
    IF current_setting('skillsite.maintenance', true) = 'on' THEN
        RETURN NULL;
    END IF;
    -- Sorted: concurrent statements lock shared rows in the same order.
    INSERT INTO skills_sessionskill AS s (session_id, skill_id, invocation_count, success_count,
                                          first_invoked_at, last_invoked_at, total_duration_ms)
    SELECT session_id, skill_id, count(*), count(*) FILTER (WHERE completed),
           min(occurred_at), max(occurred_at), coalesce(sum(latency_ms), 0)
    FROM new_rows WHERE session_id <> '' GROUP BY session_id, skill_id ORDER BY session_id, skill_id
    ON CONFLICT (session_id, skill_id) DO UPDATE SET
        invocation_count = s.invocation_count + excluded.invocation_count,
        success_count = s.success_count + excluded.success_count,
        first_invoked_at = LEAST(s.first_invoked_at, excluded.first_invoked_at),
        last_invoked_at = GREATEST(s.last_invoked_at, excluded.last_invoked_at),
        total_duration_ms = s.total_duration_ms + excluded.total_duration_ms;
    INSERT INTO skills_skilluserusage AS u (skill_id, user_id, invocation_count, first_invoked_at, last_invoked_at)
    SELECT skill_id, user_id, count(*), min(occurred_at), max(occurred_at)
    FROM new_rows WHERE user_id IS NOT NULL GROUP BY skill_id, user_id ORDER BY skill_id, user_id
    ON CONFLICT (skill_id, user_id) DO UPDATE SET
        invocation_count = u.invocation_count + excluded.invocation_count,
        first_invoked_at = LEAST(u.first_invoked_at, excluded.first_invoked_at),
        last_invoked_at = GREATEST(u.last_invoked_at, excluded.last_invoked_at);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER skills_usageevent_rollups AFTER INSERT ON skills_usageevent
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION skills_usageevent_roll_up();
"""

POSTGRES_DROP = """
DROP TRIGGER IF EXISTS skills_usageevent_rollups ON skills_usageevent;
DROP FUNCTION IF EXISTS skills_usageevent_roll_up();
"""

# The WHERE clauses also settle SQLite's INSERT … SELECT … ON CONFLICT parsing ambiguity.
SQLITE_TRIGGER = """
CREATE TRIGGER IF NOT EXISTS skills_usageevent_rollups AFTER INSERT ON skills_usageevent
BEGIN
    INSERT INTO skills_sessionskill (session_id, skill_id, invocation_count, success_count,
                                     first_invoked_at, last_invoked_at, total_duration_ms)
    SELECT NEW.session_id, NEW.skill_id, 1, NEW.completed, NEW.occurred_at, NEW.occurred_at,
           coalesce(NEW.latency_ms, 0)
    WHERE NEW.session_id <> ''
    ON CONFLICT (session_id, skill_id) DO UPDATE SET
        invocation_count = invocation_count + excluded.invocation_count,
        success_count = success_count + excluded.success_count,
        first_invoked_at = MIN(first_invoked_at, excluded.first_invoked_at),
        last_invoked_at = MAX(last_invoked_at, excluded.last_invoked_at),
        total_duration_ms = total_duration_ms + excluded.total_duration_ms;
    INSERT INTO skills_skilluserusage (skill_id, user_id, invocation_count, first_invoked_at, last_invoked_at)
    SELECT NEW.skill_id, NEW.user_id, 1, NEW.occurred_at, NEW.occurred_at
    WHERE NEW.user_id IS NOT NULL
    ON CONFLICT (skill_id, user_id) DO UPDATE SET
        invocation_count = invocation_count + excluded.invocation_count,
        first_invoked_at = MIN(first_invoked_at, excluded.first_invoked_at),
        last_invoked_at = MAX(last_invoked_at, excluded.last_invoked_at);
END;
"""

SQLITE_DROP = "DROP TRIGGER IF EXISTS skills_usageevent_rollups;"


class Migration(migrations.Migration):
    dependencies = [("skills", "0010_packed_latency_sketches")]

    operations = [
        RunSQLOnPostgres(POSTGRES_TRIGGER, POSTGRES_DROP),
        RunSQLOnSQLite(SQLITE_TRIGGER, SQLITE_DROP),
    ]
