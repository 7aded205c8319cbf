"""Runs of the scheduled and on-demand jobs (skills/jobs): what ran, when, how long, how it ended."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class Job(models.TextChoices):
    FOLD_ROLLUPS = "fold_rollups", "Fold queued events into the roll-ups"
    MINE_EMERGENCE = "mine_emergence", "Mine new sessions (incremental)"
    MINE_EMERGENCE_FULL = "mine_emergence_full", "Full re-mine"
    ENSURE_PARTITIONS = "ensure_partitions", "Create the coming months' partitions"
    ARCHIVE_PARTITIONS = "archive_partitions", "Archive partitions past retention"
    DETECT_REGRESSIONS = "detect_regressions", "Detect version regressions"
    CHECK_ROLLUPS = "check_rollups", "Check the roll-ups against a rebuild (sample)"
    SNAPSHOT_EXPERIMENTS = "snapshot_experiments", "Snapshot running experiments (guardrails may stop them)"


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped (another run was in progress)"


# The legal transitions, written once. Succeeded, failed and skipped are final.
RUN_TRANSITIONS: dict[str, frozenset[str]] = {
    RunStatus.QUEUED: frozenset({RunStatus.RUNNING, RunStatus.SKIPPED, RunStatus.FAILED}),
    RunStatus.RUNNING: frozenset({RunStatus.SUCCEEDED, RunStatus.FAILED}),
    RunStatus.SUCCEEDED: frozenset(),
    RunStatus.FAILED: frozenset(),
    RunStatus.SKIPPED: frozenset(),
}


class Trigger(models.TextChoices):
    SCHEDULE = "schedule", "Schedule (beat)"
    ADMIN = "admin", "Admin button"
    COMMAND = "command", "Command"


class JobRun(models.Model):
    job = models.CharField(max_length=40, choices=Job.choices)
    status = models.CharField(max_length=20, choices=RunStatus.choices, default=RunStatus.QUEUED)
    trigger = models.CharField(max_length=20, choices=Trigger.choices, default=Trigger.SCHEDULE)
    task_id = models.CharField(max_length=64, blank=True, help_text="The Celery task that ran it (none when inline).")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    queued_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_seconds = models.FloatField(null=True, blank=True)
    progress_done = models.PositiveBigIntegerField(default=0)
    progress_total = models.PositiveBigIntegerField(null=True, blank=True)
    message = models.TextField(blank=True, help_text="What the run did, or why it failed.")

    class Meta:
        ordering = ["-queued_at", "-id"]
        indexes = [models.Index(fields=["job", "-id"], name="jobrun_job_idx")]
        permissions = [("run_job", "Can start jobs from the admin")]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=RunStatus.values), name="jobrun_status_valid"),
            models.CheckConstraint(condition=Q(job__in=Job.values), name="jobrun_job_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.get_job_display()} ({self.status}) at {self.queued_at:%Y-%m-%d %H:%M:%S}"

    @property
    def finished(self) -> bool:
        return self.status in {RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.SKIPPED}
