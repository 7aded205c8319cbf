"""Monthly range partitions of the usage log on PostgreSQL (seeds 000 and 004), and the
event-id registry that keeps ids unique across partitions (both databases).

Plain SQL rather than django-postgres-extra or pg_partman: one table is partitioned, by
one rule (calendar month), so two small PL/pgSQL functions do it without a custom
database backend or an extension to install.

PostgreSQL: the table is rebuilt as `PARTITION BY RANGE (occurred_at)` with a DEFAULT
partition for out-of-range events and one partition a month (for the months holding data
and the next three; `manage_partitions` keeps creating them ahead). A partitioned table's
unique indexes must include the partition key, so the primary key becomes (id,
occurred_at) and event ids are kept unique by `skills_usageeventkey`, filled by a trigger.
The foreign key from feedback to an event is dropped there (PostgreSQL cannot reference a
partitioned table by `id` alone); `feedback_record` checks the event itself.
SQLite keeps a plain table; a trigger fills the registry there too.
"""

from django.db import migrations, models

from skillsite.migration_ops import RunSQLOnPostgres, RunSQLOnSQLite

AUTOVACUUM = (
    "autovacuum_vacuum_scale_factor = 0.05, autovacuum_analyze_scale_factor = 0.02, "
    "autovacuum_vacuum_insert_scale_factor = 0.05"
)

FUNCTIONS = f"""
CREATE OR REPLACE FUNCTION skills_usageevent_refuse_change() RETURNS trigger AS $$
BEGIN
    -- Partition maintenance (moving rows out of the default partition) sets this flag.
    IF current_setting('skillsite.maintenance', true) = 'on' THEN
        RETURN CASE TG_OP WHEN 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    RAISE EXCEPTION 'skills_usageevent is append-only: % refused', TG_OP USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION skills_usageevent_register_key() RETURNS trigger AS $$
BEGIN
    IF current_setting('skillsite.maintenance', true) = 'on' THEN
        RETURN NEW;
    END IF;
    INSERT INTO skills_usageeventkey (event_id, payload_sha256, occurred_at)
    VALUES (NEW.event_id, NEW.payload_sha256, NEW.occurred_at);
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION skills_usageevent_ensure_partition(month date) RETURNS text AS $$
DECLARE
    lower_bound date := date_trunc('month', month)::date;
    upper_bound date := (date_trunc('month', month) + interval '1 month')::date;
    partition_name text := 'skills_usageevent_' || to_char(date_trunc('month', month), 'YYYY_MM');
BEGIN
    IF to_regclass(partition_name) IS NOT NULL THEN
        RETURN NULL;
    END IF;
    -- Rows the default partition caught for this month move into the new partition.
    PERFORM set_config('skillsite.maintenance', 'on', true);
    EXECUTE format(
        'CREATE TEMP TABLE skills_partition_move ON COMMIT DROP AS '
        'SELECT * FROM skills_usageevent_default WHERE occurred_at >= %L AND occurred_at < %L',
        lower_bound, upper_bound);
    EXECUTE format('DELETE FROM skills_usageevent_default WHERE occurred_at >= %L AND occurred_at < %L',
        lower_bound, upper_bound);
    EXECUTE format('CREATE TABLE %I PARTITION OF skills_usageevent FOR VALUES FROM (%L) TO (%L) WITH ({AUTOVACUUM})',
        partition_name, lower_bound, upper_bound);
    INSERT INTO skills_usageevent SELECT * FROM skills_partition_move;
    DROP TABLE skills_partition_move;
    PERFORM set_config('skillsite.maintenance', 'off', true);
    RETURN partition_name;
END;
$$ LANGUAGE plpgsql;
"""

INDEXES = """
ALTER TABLE skills_usageevent ADD CONSTRAINT skills_usageevent_pkey PRIMARY KEY (id, occurred_at);
ALTER TABLE skills_usageevent ADD CONSTRAINT skills_usageevent_event_id_key UNIQUE (event_id, occurred_at);
CREATE INDEX skills_usageevent_skill_id_5192da8b ON skills_usageevent (skill_id);
CREATE INDEX skills_usageevent_skill_id_5192da8b_like ON skills_usageevent (skill_id varchar_pattern_ops);
CREATE INDEX skills_usageevent_skill_version_id_e9f1c05c ON skills_usageevent (skill_version_id);
CREATE INDEX skills_usageevent_user_id_18efb0d7 ON skills_usageevent (user_id);
CREATE INDEX usage_received_idx ON skills_usageevent (received_at);
CREATE INDEX usage_session_time_idx ON skills_usageevent (session_id, occurred_at DESC);
CREATE INDEX usage_skill_outcome_idx ON skills_usageevent (skill_id, outcome);
CREATE INDEX usage_skill_time_idx ON skills_usageevent (skill_id, occurred_at DESC);
CREATE INDEX usage_time_idx ON skills_usageevent (occurred_at DESC);
CREATE INDEX usage_user_time_idx ON skills_usageevent (user_id, occurred_at DESC);
CREATE INDEX usage_state_gin_idx ON skills_usageevent USING GIN (state_snapshot);
CREATE INDEX usage_workflow_fts_idx ON skills_usageevent
    USING GIN (to_tsvector('simple', translate(workflow_path, '/.:>_-', '      ')));
ALTER TABLE skills_usageevent ADD CONSTRAINT skills_usageevent_skill_id_5192da8b_fk_skills_skill_skill_id
    FOREIGN KEY (skill_id) REFERENCES skills_skill (skill_id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE skills_usageevent ADD CONSTRAINT skills_usageevent_skill_version_id_e9f1c05c_fk_skills_sk
    FOREIGN KEY (skill_version_id) REFERENCES skills_skillversion (id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE skills_usageevent ADD CONSTRAINT skills_usageevent_user_id_18efb0d7_fk_auth_user_id
    FOREIGN KEY (user_id) REFERENCES auth_user (id) DEFERRABLE INITIALLY DEFERRED;
"""

TRIGGERS = """
CREATE TRIGGER skills_usageevent_append_only BEFORE UPDATE OR DELETE ON skills_usageevent
    FOR EACH ROW EXECUTE FUNCTION skills_usageevent_refuse_change();
CREATE TRIGGER skills_usageevent_key BEFORE INSERT ON skills_usageevent
    FOR EACH ROW EXECUTE FUNCTION skills_usageevent_register_key();
"""

PARTITION = (
    FUNCTIONS
    + """
ALTER TABLE skills_usageevent RENAME TO skills_usageevent_unpartitioned;
CREATE TABLE skills_usageevent (LIKE skills_usageevent_unpartitioned INCLUDING DEFAULTS INCLUDING CONSTRAINTS)
    PARTITION BY RANGE (occurred_at);
CREATE TABLE skills_usageevent_default PARTITION OF skills_usageevent DEFAULT;
SELECT skills_usageevent_ensure_partition(month::date) FROM (
    SELECT DISTINCT date_trunc('month', occurred_at) AS month FROM skills_usageevent_unpartitioned
    UNION SELECT date_trunc('month', now()) + n * interval '1 month' FROM generate_series(0, 3) AS n
) AS months;
INSERT INTO skills_usageevent SELECT * FROM skills_usageevent_unpartitioned;
DROP TABLE skills_usageevent_unpartitioned CASCADE;
CREATE SEQUENCE skills_usageevent_id_seq OWNED BY skills_usageevent.id;
SELECT setval('skills_usageevent_id_seq', COALESCE((SELECT MAX(id) FROM skills_usageevent), 0) + 1, false);
ALTER TABLE skills_usageevent ALTER COLUMN id SET DEFAULT nextval('skills_usageevent_id_seq');
"""
    + INDEXES
    + """
INSERT INTO skills_usageeventkey (event_id, payload_sha256, occurred_at)
    SELECT event_id, payload_sha256, occurred_at FROM skills_usageevent;
"""
    + TRIGGERS
)

UNPARTITION = (
    """
ALTER TABLE skills_usageevent RENAME TO skills_usageevent_partitioned;
CREATE TABLE skills_usageevent (LIKE skills_usageevent_partitioned INCLUDING CONSTRAINTS);
INSERT INTO skills_usageevent SELECT * FROM skills_usageevent_partitioned;
DROP TABLE skills_usageevent_partitioned CASCADE;
DROP FUNCTION skills_usageevent_ensure_partition(date);
DROP FUNCTION skills_usageevent_register_key();
ALTER TABLE skills_usageevent ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY;
SELECT setval(pg_get_serial_sequence('skills_usageevent', 'id'), COALESCE((SELECT MAX(id) FROM skills_usageevent), 0) + 1, false);
ALTER TABLE skills_usageevent ADD CONSTRAINT skills_usageevent_pkey PRIMARY KEY (id);
ALTER TABLE skills_usageevent ADD CONSTRAINT skills_usageevent_event_id_key UNIQUE (event_id);
"""
    + INDEXES.split("\n", 3)[3]
    + f"""
ALTER TABLE skills_usageevent SET ({AUTOVACUUM});
ALTER TABLE skills_feedback ADD CONSTRAINT skills_feedback_event_id_f02c099b_fk_skills_usageevent_id
    FOREIGN KEY (event_id) REFERENCES skills_usageevent (id) DEFERRABLE INITIALLY DEFERRED;
CREATE TRIGGER skills_usageevent_append_only BEFORE UPDATE OR DELETE ON skills_usageevent
    FOR EACH ROW EXECUTE FUNCTION skills_usageevent_refuse_change();
"""
)

SQLITE_KEY_TRIGGER = """
INSERT INTO skills_usageeventkey (event_id, payload_sha256, occurred_at)
    SELECT event_id, payload_sha256, occurred_at FROM skills_usageevent;
CREATE TRIGGER skills_usageevent_key AFTER INSERT ON skills_usageevent
BEGIN
    INSERT INTO skills_usageeventkey (event_id, payload_sha256, occurred_at)
    VALUES (NEW.event_id, NEW.payload_sha256, NEW.occurred_at);
END;
"""


class Migration(migrations.Migration):
    dependencies = [("skills", "0003_usageevent_payload_sha256")]

    operations = [
        migrations.CreateModel(
            name="UsageEventKey",
            fields=[
                ("event_id", models.UUIDField(primary_key=True, serialize=False)),
                ("payload_sha256", models.CharField(blank=True, max_length=64)),
                ("occurred_at", models.DateTimeField()),
            ],
        ),
        RunSQLOnPostgres(PARTITION, UNPARTITION),
        RunSQLOnSQLite(SQLITE_KEY_TRIGGER, "DROP TRIGGER IF EXISTS skills_usageevent_key;"),
    ]
