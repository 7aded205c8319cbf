"""Fills the new practice columns from the old rows (see 0004)."""

from django.db import migrations


def reps_from_completed(apps, schema_editor):
    """A completed activity covered one rep; of a milestone's activities only the latest
    `practice_attempts` were counted since its last reset (a reset zeroed the counters)."""
    PracticeActivity = apps.get_model("roadmaps", "PracticeActivity")
    MilestoneProgress = apps.get_model("roadmaps", "MilestoneProgress")
    PracticeActivity.objects.filter(completed=True).update(reps=1)
    for progress in MilestoneProgress.objects.filter(activities__isnull=False).distinct():
        newest = progress.activities.order_by("-created_at", "-id").values_list("pk", flat=True)
        counted = list(newest[: progress.practice_attempts])
        progress.activities.exclude(pk__in=counted).update(counted=False)


class Migration(migrations.Migration):
    dependencies = [("roadmaps", "0004_practice_reps_archive_and_text_limits")]

    operations = [migrations.RunPython(reps_from_completed, migrations.RunPython.noop)]
