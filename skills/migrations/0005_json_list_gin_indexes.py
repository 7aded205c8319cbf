"""GIN indexes for the `has_element` filters (skillsite/lookups.py), PostgreSQL only: feedback's
tags (`/api/feedback/?tag=`, the admin's tag filter) and the mined sessions' skill sets
(`/api/cooccurrence/?skill=`). `jsonb_path_ops` indexes containment (`@>`) alone, which is all
these filters ask, and is smaller and faster for it than the default operator class. SQLite has
no GIN: its fallback reads the rows (see HasElement)."""

from django.db import migrations

from skillsite.migration_ops import RunSQLOnPostgres


class Migration(migrations.Migration):
    dependencies = [("skills", "0004_unlocks_ahead_of_registration")]

    operations = [
        RunSQLOnPostgres(
            "CREATE INDEX IF NOT EXISTS feedback_tags_gin_idx ON skills_feedback USING GIN (tags jsonb_path_ops);",
            "DROP INDEX IF EXISTS feedback_tags_gin_idx;",
        ),
        RunSQLOnPostgres(
            "CREATE INDEX IF NOT EXISTS miningsession_skills_gin_idx ON skills_miningsession "
            "USING GIN (skills jsonb_path_ops);",
            "DROP INDEX IF EXISTS miningsession_skills_gin_idx;",
        ),
    ]
