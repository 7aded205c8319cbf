"""Jobs in the admin: each job's last run and schedule, a button to run it, each run's progress."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Max
from django.http import Http404, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.views.decorators.http import require_POST
from django_celery_beat.models import PeriodicTask

from ..jobs.registry import PROGRESS_UNITS
from ..jobs.runner import run_progress
from ..models import Job, JobRun, RunStatus, Trigger
from ..progress import eta_text
from ..tasks import job_enqueue
from .common import ReadOnlyAdmin

QUEUED_MESSAGE = "{job}: queued (run {run}). This page shows its progress."
RAN_MESSAGE = "{job}: {status} — {message}"


def queue_job(request, job: str) -> HttpResponseRedirect:
    """Queues the job for the admin user and sends them to the run's page (its progress)."""
    run = job_enqueue(job, trigger=Trigger.ADMIN, requested_by=request.user)
    label = Job(job).label
    if run.status == RunStatus.QUEUED:
        messages.info(request, QUEUED_MESSAGE.format(job=label, run=run.pk))
    else:  # ran inline (no broker), or the broker refused it
        level = messages.SUCCESS if run.status == RunStatus.SUCCEEDED else messages.ERROR
        messages.add_message(request, level, RAN_MESSAGE.format(job=label, status=run.status, message=run.message))
    return HttpResponseRedirect(reverse("admin:skills_jobrun_change", args=[run.pk]))


@admin.register(JobRun)
class JobRunAdmin(ReadOnlyAdmin):
    list_display = ["job", "status", "trigger", "queued_at", "started_at", "duration", "progress", "short_message"]
    list_filter = ["job", "status", "trigger"]
    list_select_related = ["requested_by"]
    fields = [
        "job", "status", "progress", "trigger", "requested_by", "task_id", "queued_at", "started_at",
        "finished_at", "duration", "message",
    ]  # fmt: skip
    readonly_fields = fields
    change_list_template = "admin/skills/jobrun/change_list.html"
    change_form_template = "admin/skills/jobrun/change_form.html"

    @admin.display(description="Duration")
    def duration(self, run: JobRun) -> str:
        return "—" if run.duration_seconds is None else f"{run.duration_seconds:,.2f} s"

    @admin.display(description="Message")
    def short_message(self, run: JobRun) -> str:
        return run.message if len(run.message) <= 100 else run.message[:97] + "…"

    @admin.display(description="Progress")
    def progress(self, run: JobRun) -> str:
        done, total = run_progress(run)
        if run.status == RunStatus.QUEUED:
            return "waiting for a worker"
        elapsed = ((run.finished_at or timezone.now()) - run.started_at).total_seconds() if run.started_at else 0
        unit = PROGRESS_UNITS.get(run.job, "steps")
        if run.status == RunStatus.RUNNING:
            text = eta_text(done, total, elapsed, unit)
        else:
            text = f"{done:,}/{total or done:,} {unit}"
        if not total:
            return text
        bar = '<progress max="{}" value="{}" aria-label="{}"></progress> {}'
        return format_html(bar, total, min(done, total), unit, text)

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "jobs": self._job_rows(request)}
        return super().changelist_view(request, extra_context)

    def _job_rows(self, request) -> list[dict]:
        """Each job with its last run and its schedules: two queries."""
        last_ids = JobRun.objects.values("job").annotate(last=Max("id")).values_list("last", flat=True)
        last = {run.job: run for run in JobRun.objects.filter(id__in=list(last_ids))}
        schedules: dict[str, list[PeriodicTask]] = {}
        for task in PeriodicTask.objects.filter(task__startswith="skills.").select_related("interval", "crontab"):
            schedules.setdefault(task.task.removeprefix("skills."), []).append(task)
        may_run = request.user.has_perm("skills.run_job")
        return [
            {"job": job, "label": label, "last": last.get(job), "schedules": schedules.get(job, []), "may_run": may_run}
            for job, label in Job.choices
        ]

    def get_urls(self):
        view = self.admin_site.admin_view(require_POST(self.run_view))
        return [path("run/<str:job>/", view, name="skills_jobrun_run"), *super().get_urls()]

    def run_view(self, request, job: str):
        if not request.user.has_perm("skills.run_job"):
            raise PermissionDenied
        if job not in Job.values:
            raise Http404(job)
        return queue_job(request, job)
