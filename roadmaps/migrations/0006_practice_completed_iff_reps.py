"""A session is completed exactly when it covered reps (0005 made the old rows agree)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("roadmaps", "0005_practice_reps_from_completed")]

    operations = [
        migrations.AddConstraint(
            model_name="practiceactivity",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("completed", True), ("reps__gte", 1)),
                    models.Q(("completed", False), ("reps", 0)),
                    _connector="OR",
                ),
                name="activity_completed_iff_reps",
            ),
        ),
    ]
