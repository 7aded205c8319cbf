"""The event-id registry is filled once per statement (a transition table) rather than once
per row: a 500-event COPY runs one INSERT … SELECT instead of 500 trigger calls."""

from django.db import migrations

from skillsite.migration_ops import RunSQLOnPostgres

STATEMENT_TRIGGER = """
CREATE OR REPLACE FUNCTION skills_usageevent_register_keys() RETURNS trigger AS $$
BEGIN
    IF current_setting('skillsite.maintenance', true) = 'on' THEN
        RETURN NULL;
    END IF;
    INSERT INTO skills_usageeventkey (event_id, payload_sha256, occurred_at)
    SELECT event_id, payload_sha256, occurred_at FROM new_rows;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS skills_usageevent_key ON skills_usageevent;
CREATE TRIGGER skills_usageevent_keys AFTER INSERT ON skills_usageevent
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION skills_usageevent_register_keys();
"""

ROW_TRIGGER = """
DROP TRIGGER IF EXISTS skills_usageevent_keys ON skills_usageevent;
DROP FUNCTION IF EXISTS skills_usageevent_register_keys();
CREATE TRIGGER skills_usageevent_key BEFORE INSERT ON skills_usageevent
    FOR EACH ROW EXECUTE FUNCTION skills_usageevent_register_key();
"""


class Migration(migrations.Migration):
    dependencies = [("skills", "0005_mining_state")]

    operations = [RunSQLOnPostgres(STATEMENT_TRIGGER, ROW_TRIGGER)]
