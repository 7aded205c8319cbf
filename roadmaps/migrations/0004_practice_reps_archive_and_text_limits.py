"""Practice counts reps (a session may cover several), so completions may exceed attempts;
activities logged before a milestone's reset stop counting toward it (`counted`); roadmaps can
be archived; free-text fields get length limits. 0005 fills reps and counted from the old rows
and 0006 ties completed to reps: on PostgreSQL a table cannot be altered in the transaction that
updated its rows (pending foreign-key trigger events), hence three migrations.

Changing milestoneprogress's constraints makes SQLite rebuild the table, which drops its
milestone-exists triggers (migration 0002): they are created again after the change, and
again after its reversal."""

import importlib

import django.core.validators
from django.db import migrations, models

from skillsite.migration_ops import RunSQLOnSQLite

_TRIGGERS = importlib.import_module("roadmaps.migrations.0002_plan_shape_and_status_timestamps")
SQLITE_TRIGGERS = [
    "DROP TRIGGER IF EXISTS roadmaps_progress_milestone_exists_INSERT;",
    "DROP TRIGGER IF EXISTS roadmaps_progress_milestone_exists_UPDATE;",
    _TRIGGERS.SQLITE_MILESTONE_EXISTS.format(event="INSERT"),
    _TRIGGERS.SQLITE_MILESTONE_EXISTS.format(event="UPDATE").replace(
        "BEFORE UPDATE ON", "BEFORE UPDATE OF milestone_id, deconstruction_id ON"
    ),
]


class Migration(migrations.Migration):
    dependencies = [
        ("roadmaps", "0003_practice_types"),
    ]

    operations = [
        RunSQLOnSQLite(migrations.RunSQL.noop, SQLITE_TRIGGERS),
        migrations.RemoveConstraint(
            model_name="milestoneprogress",
            name="progress_completions_within_attempts",
        ),
        migrations.AddField(
            model_name="practiceactivity",
            name="counted",
            field=models.BooleanField(
                default=True,
                help_text="Counts toward the milestone's progress; false once the milestone was reset after it.",
            ),
        ),
        migrations.AddField(
            model_name="practiceactivity",
            name="reps",
            field=models.PositiveIntegerField(
                default=0,
                help_text="Reps of the milestone's do-this-now this session covered (its completions).",
                validators=[django.core.validators.MaxValueValidator(10000)],
            ),
        ),
        migrations.AddField(
            model_name="roadmap",
            name="archived_at",
            field=models.DateTimeField(
                blank=True, help_text="Set while archived: hidden from the learner's list, restorable.", null=True
            ),
        ),
        migrations.AlterField(
            model_name="milestoneprogress",
            name="notes",
            field=models.TextField(
                blank=True,
                validators=[
                    django.core.validators.MaxLengthValidator(
                        10000,
                        message="Ensure this value has at most %(limit_value)d characters (it has %(show_value)d).",
                    )
                ],
            ),
        ),
        migrations.AlterField(
            model_name="practiceactivity",
            name="completed",
            field=models.BooleanField(default=False, help_text="Covered at least one rep (kept from reps)."),
        ),
        migrations.AlterField(
            model_name="practiceactivity",
            name="description",
            field=models.TextField(
                blank=True,
                validators=[
                    django.core.validators.MaxLengthValidator(
                        2000,
                        message="Ensure this value has at most %(limit_value)d characters (it has %(show_value)d).",
                    )
                ],
            ),
        ),
        migrations.AlterField(
            model_name="practiceactivity",
            name="user_notes",
            field=models.TextField(
                blank=True,
                validators=[
                    django.core.validators.MaxLengthValidator(
                        10000,
                        message="Ensure this value has at most %(limit_value)d characters (it has %(show_value)d).",
                    )
                ],
            ),
        ),
        migrations.AlterField(
            model_name="roadmap",
            name="description",
            field=models.TextField(
                blank=True,
                validators=[
                    django.core.validators.MaxLengthValidator(
                        2000,
                        message="Ensure this value has at most %(limit_value)d characters (it has %(show_value)d).",
                    )
                ],
            ),
        ),
        migrations.AddConstraint(
            model_name="milestoneprogress",
            constraint=models.CheckConstraint(
                condition=models.Q(("practice_attempts__gt", 0), ("practice_completions", 0), _connector="OR"),
                name="progress_completions_need_attempts",
            ),
        ),
        RunSQLOnSQLite(SQLITE_TRIGGERS, migrations.RunSQL.noop),
    ]
