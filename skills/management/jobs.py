"""The commands that do a job's work run it through the job runner, as the scheduler and the admin
do: each run is recorded (a JobRun with trigger "command"), takes the job's lock, and shows its
progress on the command's terminal."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from skills.jobs.runner import job_run
from skills.models import RunStatus, Trigger
from skills.progress import TerminalProgress


def job_run_by_command(command: BaseCommand, job: str, *, verbosity: int, **options) -> str:
    """Runs `job` with `options` and returns its report; CommandError with the report when the run
    failed or was skipped (another run held the job's lock)."""
    watcher = TerminalProgress(command.stderr, verbosity=verbosity)
    run = job_run(job, trigger=Trigger.COMMAND, options=options, watcher=watcher)
    if run.status != RunStatus.SUCCEEDED:
        raise CommandError(run.message)
    return run.message
