"""Migration operations shared by the apps."""

from django.db import migrations


class RunSQLOnVendor(migrations.RunSQL):
    """RunSQL that only runs on the database `vendor` names; the others are left as they are."""

    vendor = ""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == self.vendor:
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == self.vendor:
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class RunSQLOnPostgres(RunSQLOnVendor):
    """RunSQL that only runs on PostgreSQL; SQLite keeps the portable schema."""

    vendor = "postgresql"


class RunSQLOnSQLite(RunSQLOnVendor):
    """RunSQL that only runs on SQLite (its half of a vendor-specific feature)."""

    vendor = "sqlite"
