"""PostgreSQL-only schema: GIN indexes on JSON, full-text index on workflow paths
(path separators read as spaces, so "plan/review" matches "review"),
the append-only trigger on the usage log, and autovacuum tuning for it (seed 004)."""

from django.db import migrations

from skillsite.migration_ops import RunSQLOnPostgres

APPEND_ONLY_FUNCTION = """
CREATE OR REPLACE FUNCTION skills_usageevent_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'skills_usageevent is append-only: % refused', TG_OP
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;
"""


class Migration(migrations.Migration):
    dependencies = [("skills", "0001_initial")]

    operations = [
        RunSQLOnPostgres(
            "CREATE INDEX IF NOT EXISTS skill_meta_gin_idx ON skills_skill USING GIN (meta);",
            "DROP INDEX IF EXISTS skill_meta_gin_idx;",
        ),
        RunSQLOnPostgres(
            "CREATE INDEX IF NOT EXISTS usage_state_gin_idx ON skills_usageevent USING GIN (state_snapshot);",
            "DROP INDEX IF EXISTS usage_state_gin_idx;",
        ),
        RunSQLOnPostgres(
            "CREATE INDEX IF NOT EXISTS usage_workflow_fts_idx ON skills_usageevent "
            "USING GIN (to_tsvector('simple', translate(workflow_path, '/.:>_-', '      ')));",
            "DROP INDEX IF EXISTS usage_workflow_fts_idx;",
        ),
        RunSQLOnPostgres(
            APPEND_ONLY_FUNCTION
            + """
            CREATE TRIGGER skills_usageevent_append_only
                BEFORE UPDATE OR DELETE ON skills_usageevent
                FOR EACH ROW EXECUTE FUNCTION skills_usageevent_refuse_change();
            """,
            """
            DROP TRIGGER IF EXISTS skills_usageevent_append_only ON skills_usageevent;
            DROP FUNCTION IF EXISTS skills_usageevent_refuse_change();
            """,
        ),
        RunSQLOnPostgres(
            # A write-heavy, insert-only table: analyze and vacuum on smaller
            # fractions than the defaults so plans and visibility maps stay fresh.
            "ALTER TABLE skills_usageevent SET (autovacuum_vacuum_scale_factor = 0.05, "
            "autovacuum_analyze_scale_factor = 0.02, autovacuum_vacuum_insert_scale_factor = 0.05);",
            "ALTER TABLE skills_usageevent RESET (autovacuum_vacuum_scale_factor, "
            "autovacuum_analyze_scale_factor, autovacuum_vacuum_insert_scale_factor);",
        ),
    ]
