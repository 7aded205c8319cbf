"""What the models cannot say: PostgreSQL's partitioned log and its indexes, and on both
databases the triggers that fill the event-id registry and the roll-up queue.

PostgreSQL (seeds 000 and 004):
- the usage log is `PARTITION BY RANGE (occurred_at)`, one partition a month (this month and
  the next three are made here; `manage_partitions` keeps making them ahead) and a DEFAULT
  partition for anything else. A partitioned table's unique indexes must include the
  partition key, so the primary key is (id, occurred_at); event ids are kept unique per user
  by `skills_usageeventkey`. PostgreSQL cannot reference a partitioned table by `id` alone,
  so feedback's foreign key to an event is dropped here (`feedback_record` checks the event).
  Plain SQL rather than django-postgres-extra or pg_partman: one table, one rule.
- the log is append-only: a trigger refuses UPDATE and DELETE (partition maintenance, which
  moves rows out of the DEFAULT partition, sets `skillsite.maintenance` and is let through).
- GIN indexes on the JSON columns (skills' meta, events' state, feedback's tags, mined sessions'
  skill sets), a full-text index on workflow paths (separators read as
  spaces, so "plan/review" matches "review"), autovacuum tuned for an insert-only table, and
  room on the pages of the roll-up tables so their updates stay in place (HOT).
SQLite keeps a plain table; row triggers fill the registry and the queue there.

The registry and the queue are two triggers, not one: the ingestion benchmark's floor clones
the log with its registry trigger (part of storing an event) but not the queue (metrics).
"""

from django.db import migrations

from skillsite.migration_ops import RunSQLOnPostgres, RunSQLOnSQLite

LOG = "skills_usageevent"
AUTOVACUUM = (
    "autovacuum_vacuum_scale_factor = 0.05, autovacuum_analyze_scale_factor = 0.02, "
    "autovacuum_vacuum_insert_scale_factor = 0.05"
)
FILLFACTORS = {
    "skills_skillmetrics": 50,
    "skills_skilldailyusage": 70,
    "skills_sessionskill": 80,
    "skills_skilluserusage": 80,
    "skills_skillversionusage": 70,
}

FUNCTIONS = f"""
CREATE FUNCTION skills_usageevent_refuse_change() RETURNS trigger AS $$
BEGIN
    IF current_setting('skillsite.maintenance', true) = 'on' THEN
        RETURN CASE TG_OP WHEN 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    RAISE EXCEPTION '{LOG} is append-only: % refused', TG_OP USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;

CREATE FUNCTION skills_usageevent_register_keys() RETURNS trigger AS $$
BEGIN
    IF current_setting('skillsite.maintenance', true) = 'on' THEN
        RETURN NULL;
    END IF;
    INSERT INTO skills_usageeventkey (user_key, event_id, payload_sha256, occurred_at)
    SELECT coalesce(user_id, 0), event_id, payload_sha256, occurred_at FROM new_rows;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE FUNCTION skills_usageevent_queue_rollups() RETURNS trigger AS $$
BEGIN
    IF current_setting('skillsite.maintenance', true) = 'on' THEN
        RETURN NULL;
    END IF;
    INSERT INTO skills_usageeventpending (id, received_at) SELECT id, received_at FROM new_rows;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE FUNCTION skills_usageevent_ensure_partition(month date) RETURNS text AS $$
DECLARE
    lower_bound date := date_trunc('month', month)::date;
    upper_bound date := (date_trunc('month', month) + interval '1 month')::date;
    partition_name text := '{LOG}_' || to_char(date_trunc('month', month), 'YYYY_MM');
BEGIN
    IF to_regclass(partition_name) IS NOT NULL THEN
        RETURN NULL;
    END IF;
    -- Rows the default partition caught for this month move into the new partition.
    PERFORM set_config('skillsite.maintenance', 'on', true);
    EXECUTE format(
        'CREATE TEMP TABLE skills_partition_move ON COMMIT DROP AS '
        'SELECT * FROM {LOG}_default WHERE occurred_at >= %L AND occurred_at < %L',
        lower_bound, upper_bound);
    EXECUTE format('DELETE FROM {LOG}_default WHERE occurred_at >= %L AND occurred_at < %L',
        lower_bound, upper_bound);
    EXECUTE format('CREATE TABLE %I PARTITION OF {LOG} FOR VALUES FROM (%L) TO (%L) WITH ({AUTOVACUUM})',
        partition_name, lower_bound, upper_bound);
    INSERT INTO {LOG} SELECT * FROM skills_partition_move;
    DROP TABLE skills_partition_move;
    PERFORM set_config('skillsite.maintenance', 'off', true);
    RETURN partition_name;
END;
$$ LANGUAGE plpgsql;
"""

# The indexes and foreign keys of 0001's table, made again on the partitioned one.
INDEXES = f"""
CREATE INDEX skills_usageevent_skill_version_id_e9f1c05c ON {LOG} (skill_version_id);
CREATE INDEX usage_received_idx ON {LOG} (received_at);
CREATE INDEX usage_session_time_idx ON {LOG} (session_id, occurred_at DESC);
CREATE INDEX usage_skill_time_idx ON {LOG} (skill_id, occurred_at DESC);
CREATE INDEX usage_time_idx ON {LOG} (occurred_at DESC);
CREATE INDEX usage_user_time_idx ON {LOG} (user_id, occurred_at DESC);
ALTER TABLE {LOG} ADD CONSTRAINT skills_usageevent_skill_id_5192da8b_fk_skills_skill_skill_id
    FOREIGN KEY (skill_id) REFERENCES skills_skill (skill_id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE {LOG} ADD CONSTRAINT skills_usageevent_skill_version_id_e9f1c05c_fk_skills_sk
    FOREIGN KEY (skill_version_id) REFERENCES skills_skillversion (id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE {LOG} ADD CONSTRAINT skills_usageevent_user_id_18efb0d7_fk_auth_user_id
    FOREIGN KEY (user_id) REFERENCES auth_user (id) DEFERRABLE INITIALLY DEFERRED;
"""

POSTGRES_LOG = (
    FUNCTIONS
    + f"""
ALTER TABLE skills_feedback DROP CONSTRAINT skills_feedback_event_id_f02c099b_fk_skills_usageevent_id;
ALTER TABLE {LOG} RENAME TO {LOG}_plain;
ALTER TABLE {LOG}_plain RENAME CONSTRAINT skills_usageevent_pkey TO skills_usageevent_plain_pkey;
CREATE TABLE {LOG} (LIKE {LOG}_plain INCLUDING DEFAULTS INCLUDING CONSTRAINTS) PARTITION BY RANGE (occurred_at);
ALTER TABLE {LOG} ADD CONSTRAINT skills_usageevent_pkey PRIMARY KEY (id, occurred_at);
CREATE TABLE {LOG}_default PARTITION OF {LOG} DEFAULT WITH ({AUTOVACUUM});
SELECT skills_usageevent_ensure_partition(month::date) FROM (
    SELECT DISTINCT date_trunc('month', occurred_at) AS month FROM {LOG}_plain
    UNION SELECT date_trunc('month', now()) + n * interval '1 month' FROM generate_series(0, 3) AS n
) AS months;
INSERT INTO {LOG} SELECT * FROM {LOG}_plain;
DROP TABLE {LOG}_plain;
CREATE SEQUENCE skills_usageevent_id_seq OWNED BY {LOG}.id;
SELECT setval('skills_usageevent_id_seq', COALESCE((SELECT MAX(id) FROM {LOG}), 0) + 1, false);
ALTER TABLE {LOG} ALTER COLUMN id SET DEFAULT nextval('skills_usageevent_id_seq');
"""
    + INDEXES
    + f"""
CREATE INDEX usage_state_gin_idx ON {LOG} USING GIN (state_snapshot);
CREATE INDEX usage_workflow_fts_idx ON {LOG}
    USING GIN (to_tsvector('simple', translate(workflow_path, '/.:>_-', '      ')));
CREATE TRIGGER skills_usageevent_append_only BEFORE UPDATE OR DELETE ON {LOG}
    FOR EACH ROW EXECUTE FUNCTION skills_usageevent_refuse_change();
CREATE TRIGGER skills_usageevent_keys AFTER INSERT ON {LOG}
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION skills_usageevent_register_keys();
CREATE TRIGGER skills_usageevent_pending AFTER INSERT ON {LOG}
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION skills_usageevent_queue_rollups();
"""
)

# Back to 0001's plain table (events kept), so that unapplying 0001 finds what it made.
POSTGRES_LOG_REVERSE = (
    f"""
ALTER TABLE {LOG} RENAME TO {LOG}_partitioned;
CREATE TABLE {LOG} (LIKE {LOG}_partitioned INCLUDING CONSTRAINTS);
INSERT INTO {LOG} SELECT * FROM {LOG}_partitioned;
DROP TABLE {LOG}_partitioned CASCADE;
DROP FUNCTION skills_usageevent_ensure_partition(date);
DROP FUNCTION skills_usageevent_queue_rollups();
DROP FUNCTION skills_usageevent_register_keys();
DROP FUNCTION skills_usageevent_refuse_change();
ALTER TABLE {LOG} ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY;
SELECT setval(pg_get_serial_sequence('{LOG}', 'id'), COALESCE((SELECT MAX(id) FROM {LOG}), 0) + 1, false);
ALTER TABLE {LOG} ADD CONSTRAINT skills_usageevent_pkey PRIMARY KEY (id);
"""
    + INDEXES
    + f"""
ALTER TABLE skills_feedback ADD CONSTRAINT skills_feedback_event_id_f02c099b_fk_skills_usageevent_id
    FOREIGN KEY (event_id) REFERENCES {LOG} (id) DEFERRABLE INITIALLY DEFERRED;
"""
)

POSTGRES_EXTRAS = [
    (
        "CREATE INDEX skill_meta_gin_idx ON skills_skill USING GIN (meta);",
        "DROP INDEX skill_meta_gin_idx;",
    ),
    # For the `has_element` filters (skillsite/lookups.py): feedback's tags and the mined sessions'
    # skill sets. jsonb_path_ops serves containment (@>) alone, all these filters ask, and is smaller.
    (
        "CREATE INDEX feedback_tags_gin_idx ON skills_feedback USING GIN (tags jsonb_path_ops);",
        "DROP INDEX feedback_tags_gin_idx;",
    ),
    (
        "CREATE INDEX miningsession_skills_gin_idx ON skills_miningsession USING GIN (skills jsonb_path_ops);",
        "DROP INDEX miningsession_skills_gin_idx;",
    ),
    *[
        (f"ALTER TABLE {table} SET (fillfactor = {fillfactor});", f"ALTER TABLE {table} RESET (fillfactor);")
        for table, fillfactor in FILLFACTORS.items()
    ],
]

SQLITE_TRIGGERS = f"""
CREATE TRIGGER skills_usageevent_keys AFTER INSERT ON {LOG}
BEGIN
    INSERT INTO skills_usageeventkey (user_key, event_id, payload_sha256, occurred_at)
    VALUES (coalesce(NEW.user_id, 0), NEW.event_id, NEW.payload_sha256, NEW.occurred_at);
END;
CREATE TRIGGER skills_usageevent_pending AFTER INSERT ON {LOG}
BEGIN
    INSERT INTO skills_usageeventpending (id, received_at) VALUES (NEW.id, NEW.received_at);
END;
"""
SQLITE_TRIGGERS_REVERSE = "DROP TRIGGER skills_usageevent_keys; DROP TRIGGER skills_usageevent_pending;"


class Migration(migrations.Migration):
    dependencies = [("skills", "0001_initial")]

    operations = [
        RunSQLOnPostgres(POSTGRES_LOG, POSTGRES_LOG_REVERSE),
        *[RunSQLOnPostgres(forwards, backwards) for forwards, backwards in POSTGRES_EXTRAS],
        RunSQLOnSQLite(SQLITE_TRIGGERS, SQLITE_TRIGGERS_REVERSE),
    ]
