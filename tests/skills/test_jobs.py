"""Jobs on a real Celery worker (a thread of this process) against the local Redis.

Each xdist process gets its own queue, so two test processes never take each other's tasks; the
broker is TEST_CELERY_BROKER_URL (default redis://127.0.0.1:6379/5). The worker's threads use
their own database connections, so these tests commit (transactional_db).
"""

import logging
import os
import threading
import time
from datetime import timedelta

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.db import connection, connections
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from skills.ingestion.record import usage_events_record
from skills.jobs.runner import ALREADY_RUNNING, WORKER_LOST, job_run
from skills.jobs.schedules import DEFAULT_SCHEDULES
from skills.models import Job, JobRun, RunStatus, SkillMetrics, Trigger, UsageEventPending
from skills.services.emergence import MINING_LOCK_KEY
from skills.tasks import TASKS, job_enqueue
from skillsite.celery import app
from skillsite.request_id import REQUEST_ID_HEADER, RequestIdFilter
from tests.factories import OperatorFactory
from tests.skills.telemetry_helpers import aggregates_snapshot, event_payload

BROKER = os.environ.get("TEST_CELERY_BROKER_URL", "redis://127.0.0.1:6379/5")
QUEUE = f"skillsite-test-{os.getpid()}"


# Set by the worker thread once a task has finished (whatever its outcome), so the test reads the
# run only then: on SQLite's shared in-memory test database a read while the worker writes makes the
# worker's write fail at once ("database table is locked") instead of waiting.
TASKS_DONE: dict[str, threading.Event] = {}


def task_done(task_id: str) -> threading.Event:
    return TASKS_DONE.setdefault(task_id, threading.Event())  # one atomic call: both threads get the same


def _task_done(task_id: str, **kwargs) -> None:
    connections.close_all()  # the worker thread's, so the test database can be dropped at the end
    task_done(task_id).set()


@pytest.fixture(scope="module")
def worker():
    try:
        redis.Redis.from_url(BROKER, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        pytest.fail(f"these tests run a Celery worker against Redis at {BROKER}, which cannot be reached: {error}")
    app.conf.update(broker_url=BROKER, task_default_queue=QUEUE, task_create_missing_queues=True)
    task_postrun.connect(_task_done, weak=False)
    with start_worker(app, pool="threads", concurrency=2, perform_ping_check=False, queues=[QUEUE],
                      loglevel="WARNING", shutdown_timeout=30) as running:  # fmt: skip
        yield running
    task_postrun.disconnect(_task_done)


@pytest.fixture
def broker(settings, worker):
    settings.CELERY_BROKER_URL = BROKER
    # A page read while a run is under way (the admin test) must not lock the worker out either: in
    # SQLite's shared-cache mode a read-uncommitted connection takes no table read locks.
    uncommitted_reads(True)
    yield worker
    uncommitted_reads(False)


def uncommitted_reads(on: bool) -> None:
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA read_uncommitted = {int(on)}")


def wait_for(run: JobRun, *, timeout: float = 60) -> JobRun:
    if not task_done(run.task_id).wait(timeout):
        raise AssertionError(f"run {run.pk} of {run.job} was not done after {timeout} s")
    run.refresh_from_db()
    assert run.finished, (run.job, run.status, run.message)
    return run


def seed_events(count: int = 60) -> None:
    # An operator's account: its events may register the skills they name (a learner's are held).
    usage_events_record(events=[event_payload(n) for n in range(count)], user=OperatorFactory(username="agent"))


@pytest.mark.django_db(transaction=True)
def test_each_job_runs_on_the_worker_and_records_its_run(broker):
    seed_events()
    for job in Job.values:  # one after the other: the two mining jobs share a lock
        run = job_enqueue(job, trigger=Trigger.ADMIN)
        assert run.status == RunStatus.QUEUED and run.task_id
        run = wait_for(run)
        assert run.status == RunStatus.SUCCEEDED, (run.job, run.message)
        assert run.started_at and run.finished_at and run.duration_seconds is not None and run.message
    messages = dict(JobRun.objects.values_list("job", "message"))
    assert "session(s) mined" in messages[Job.MINE_EMERGENCE_FULL]
    assert "all equal" in messages[Job.CHECK_ROLLUPS]
    if connection.vendor == "postgresql":
        assert messages[Job.ENSURE_PARTITIONS].startswith("partitions created")


@pytest.mark.django_db(transaction=True)
def test_a_beat_message_without_a_run_records_a_new_run(broker):
    message = TASKS[Job.DETECT_REGRESSIONS].apply_async()
    assert task_done(message.id).wait(30), "the scheduled run did not finish"
    run = JobRun.objects.get(job=Job.DETECT_REGRESSIONS)
    assert (run.trigger, run.status, run.task_id) == (Trigger.SCHEDULE, RunStatus.SUCCEEDED, message.id)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_do_the_work_once_and_the_second_is_skipped(broker):
    seed_events()
    # Hold the miner's own lock: the first run takes the job's lock and waits inside the miner, so the
    # second certainly arrives while the first is running.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [MINING_LOCK_KEY])
    try:
        first = job_enqueue(Job.MINE_EMERGENCE_FULL)
        deadline = time.monotonic() + 30
        while JobRun.objects.get(pk=first.pk).status != RunStatus.RUNNING:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        second = wait_for(job_enqueue(Job.MINE_EMERGENCE))  # shares the lock with the full re-mine
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [MINING_LOCK_KEY])
    assert (second.status, second.message) == (RunStatus.SKIPPED, ALREADY_RUNNING)
    assert wait_for(first).status == RunStatus.SUCCEEDED


# PostgreSQL: SQLite's in-memory test database refuses a second writer at once ("table is locked")
# instead of making it wait, so two runs at once cannot be shown there.
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_folds_at_once_fold_each_event_once(broker):
    seed_events(300)
    assert UsageEventPending.objects.exists() or SkillMetrics.objects.exists()
    runs = [job_enqueue(Job.FOLD_ROLLUPS), job_enqueue(Job.FOLD_ROLLUPS)]
    for run in runs:
        assert wait_for(run).status in {RunStatus.SUCCEEDED, RunStatus.SKIPPED}
    assert not UsageEventPending.objects.exists()
    assert sum(SkillMetrics.objects.values_list("total_invocations", flat=True)) == 300
    before = aggregates_snapshot()
    job_run(Job.CHECK_ROLLUPS)
    assert JobRun.objects.filter(job=Job.CHECK_ROLLUPS).get().status == RunStatus.SUCCEEDED
    assert aggregates_snapshot() == before


@pytest.mark.django_db(transaction=True)
def test_the_admins_full_re_mine_is_queued_and_its_page_follows_it_to_done(broker, admin_client):
    seed_events()
    response = admin_client.post("/admin/skills/emergencecandidate/mine/", {"full": "1"})
    run = JobRun.objects.get(job=Job.MINE_EMERGENCE_FULL)
    assert response.status_code == 302 and response["Location"] == f"/admin/skills/jobrun/{run.pk}/change/"
    assert run.trigger == Trigger.ADMIN and run.requested_by.is_superuser
    page = admin_client.get(response["Location"]).content.decode()
    assert "queued (run" in page  # the message
    assert 'http-equiv="refresh"' in page or wait_for(run)  # refreshes until done, unless already done
    run = wait_for(run)
    page = admin_client.get(response["Location"]).content.decode()
    assert run.status == RunStatus.SUCCEEDED and "Succeeded" in page and 'http-equiv="refresh"' not in page
    assert f'value="{run.progress_done}"' in page and run.progress_done == run.progress_total > 0


# PostgreSQL: there a run's lock lives as long as its worker, so a run that takes it knows any other
# run still marked running under it has lost its worker.
@pytest.mark.postgres
@pytest.mark.django_db
def test_a_run_left_running_by_a_killed_worker_is_failed_by_the_next_run_under_its_lock():
    left = JobRun.objects.create(
        job=Job.MINE_EMERGENCE_FULL, status=RunStatus.RUNNING, queued_at=timezone.now() - timedelta(hours=1),
        started_at=timezone.now() - timedelta(hours=1),
    )  # fmt: skip
    other_job = JobRun.objects.create(job=Job.FOLD_ROLLUPS, status=RunStatus.RUNNING, queued_at=timezone.now())
    run = job_run(Job.MINE_EMERGENCE)  # shares the full re-mine's lock
    left.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED
    assert (left.status, left.message) == (RunStatus.FAILED, WORKER_LOST.format(run=run.pk))
    assert left.finished_at and left.duration_seconds >= 3600
    other_job.refresh_from_db()
    assert other_job.status == RunStatus.RUNNING  # another lock: not this run's to judge


@pytest.mark.django_db
def test_beats_schedules_exist_after_migrate_and_are_editable_in_the_admin(admin_client):
    tasks = {task.name: task for task in PeriodicTask.objects.select_related("interval", "crontab")}
    assert {name for name, _, _ in DEFAULT_SCHEDULES} <= set(tasks)
    fold = tasks["skills: fold queued events into the roll-ups"]
    assert fold.task == "skills.fold_rollups" and fold.interval.every == 5 and fold.enabled
    assert tasks["skills: check the roll-ups against a rebuild"].crontab.hour == "3"
    page = admin_client.get(f"/admin/django_celery_beat/periodictask/{fold.pk}/change/")
    assert page.status_code == 200 and b"skills.fold_rollups" in page.content
    jobs_page = admin_client.get("/admin/skills/jobrun/").content.decode()
    assert "every 5 seconds" in jobs_page and "Run now" in jobs_page


class _JobLogs(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.INFO)
        self.addFilter(RequestIdFilter())
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.mark.django_db(transaction=True)
def test_a_job_queued_by_a_request_logs_on_the_worker_with_the_requests_id(broker, admin_client):
    job_logs, jobs_logger = _JobLogs(), logging.getLogger("skills.jobs")
    jobs_logger.addHandler(job_logs)
    previous_level = jobs_logger.level
    jobs_logger.setLevel(logging.INFO)
    try:
        response = admin_client.post("/admin/skills/emergencecandidate/mine/", HTTP_X_REQUEST_ID="admin-req-42")
        assert response[REQUEST_ID_HEADER] == "admin-req-42"
        run = wait_for(JobRun.objects.get(job=Job.MINE_EMERGENCE))
    finally:
        jobs_logger.removeHandler(job_logs)
        jobs_logger.setLevel(previous_level)
    on_the_worker = [
        r for r in job_logs.records if f"(run {run.pk})" in r.getMessage() and r.thread != threading.get_ident()
    ]
    assert [r.getMessage().split(")")[1].split()[0] for r in on_the_worker] == ["started", "succeeded"]
    assert {r.request_id for r in on_the_worker} == {"admin-req-42"}
