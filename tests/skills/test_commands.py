"""Management commands of the skills app."""

import io
import os
import signal
import threading

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import OperationalError

from roadmaps.models import Roadmap
from skills.ingestion import fold
from skills.ingestion.fold import usage_rollups_follow
from skills.ingestion.record import usage_events_record
from skills.models import (
    Job,
    JobRun,
    RunStatus,
    Skill,
    SkillMetrics,
    SkillUnlock,
    SkillVersion,
    Trigger,
    UsageEvent,
    UsageEventPending,
)
from tests.skills.telemetry_helpers import event_payload

pytestmark = pytest.mark.django_db


def snapshot() -> tuple:
    return (
        sorted(Skill.objects.values_list("skill_id", "tier", "enabled")),
        sorted(SkillVersion.objects.values_list("skill_id", "version", "is_current")),
        sorted(SkillUnlock.objects.values_list("user__username", "skill_id", "unlocked")),
        sorted(get_user_model().objects.values_list("username", "is_staff")),
        UsageEvent.objects.count(),
        sorted(SkillMetrics.objects.values_list("skill_id", "total_invocations")),
        Roadmap.objects.count(),
    )


def test_seed_demo_loads_a_dozen_skills_users_and_unlocks_and_prints_the_login(capsys):
    call_command("seed_demo")
    out = capsys.readouterr().out
    assert "http://127.0.0.1:8000/admin/" in out and "password:" in out
    assert Skill.objects.exclude(tier="composite").exclude(skill_id__startswith="roadmap-").count() == 12
    assert UsageEvent.objects.count() > 1000  # ninety days of telemetry (tests/skills/test_demo.py)
    assert Roadmap.objects.filter(owner__username="ada").count() == 1
    assert SkillVersion.objects.filter(is_current=True).count() == 13  # with the deployed candidate's composite
    assert SkillUnlock.objects.active().exists()
    assert list(SkillUnlock.objects.pending().values_list("user__username", "skill_id")) == [("grace", "k8s-deploy")]
    admin = get_user_model().objects.get(username="admin")
    assert admin.is_superuser and admin.check_password("skillsite-demo-admin")


def test_seed_demo_is_idempotent():
    call_command("seed_demo")
    first = snapshot()
    call_command("seed_demo")
    assert snapshot() == first


def test_manage_partitions_explains_itself_on_sqlite_and_works_on_postgres(capsys):
    from django.db import connection

    call_command("manage_partitions")
    out = capsys.readouterr().out
    if connection.vendor == "postgresql":
        assert out.startswith("partitions created:")
    else:
        assert "PostgreSQL feature" in out


def test_fold_usage_folds_the_queued_events(settings, capsys):
    settings.INGEST_FOLD_INTERVAL_SECONDS = -1  # no fold after a post
    usage_events_record(events=[event_payload(n) for n in range(4)], user=None)
    call_command("fold_usage")
    assert capsys.readouterr().out.startswith("4 event(s) folded; roll-ups as of ")
    assert sum(SkillMetrics.objects.values_list("total_invocations", flat=True)) == 4


def test_fold_usage_follow_folds_as_events_arrive_until_sigterm(settings, capsys):
    settings.INGEST_FOLD_INTERVAL_SECONDS = -1  # web processes leave folding to the worker
    usage_events_record(events=[event_payload(n) for n in range(3)], user=None)
    handler_before = signal.getsignal(signal.SIGTERM)
    stopper = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGTERM))
    stopper.start()
    try:
        call_command("fold_usage", "--follow", "--idle-seconds", "0.01")
    finally:
        stopper.cancel()
    out = capsys.readouterr().out
    assert out.startswith("folding queued events as they arrive")
    assert "stopped after folding 3 event(s)" in out
    assert sum(SkillMetrics.objects.values_list("total_invocations", flat=True)) == 3
    assert signal.getsignal(signal.SIGTERM) is handler_before  # the worker's handler is gone


def test_a_fold_worker_keeps_folding_what_arrives_while_it_runs(settings):
    settings.INGEST_FOLD_INTERVAL_SECONDS = -1
    usage_events_record(events=[event_payload(n) for n in range(2)], user=None)
    rounds = iter(range(4))

    def stopping() -> bool:
        round_ = next(rounds)
        if round_ == 1:  # after the first fold, more events arrive
            usage_events_record(events=[event_payload(n) for n in range(2, 5)], user=None)
        return round_ == 3

    assert usage_rollups_follow(stopping=stopping, idle_seconds=0.01) == 5
    assert not UsageEventPending.objects.exists()
    assert sum(SkillMetrics.objects.values_list("total_invocations", flat=True)) == 5


@pytest.mark.django_db(transaction=True)  # the worker closes its lost connection: no test transaction around it
def test_a_fold_worker_survives_a_lost_database_connection(settings, monkeypatch, caplog):
    settings.INGEST_FOLD_INTERVAL_SECONDS = -1
    usage_events_record(events=[event_payload(n) for n in range(2)], user=None)
    real_fold, attempts = fold.usage_rollups_fold, []

    def lost_once(**kwargs):
        attempts.append(kwargs)
        if len(attempts) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return real_fold(**kwargs)

    monkeypatch.setattr(fold, "usage_rollups_fold", lost_once)
    monkeypatch.setattr(fold, "RECONNECT_SECONDS", 0)
    rounds = iter(range(4))
    assert usage_rollups_follow(stopping=lambda: next(rounds) == 3, idle_seconds=0.01) == 2
    assert len(attempts) == 3  # lost, then folded both events, then found nothing
    assert "the database could not be reached" in caplog.text
    assert sum(SkillMetrics.objects.values_list("total_invocations", flat=True)) == 2


@pytest.mark.parametrize("idle", ["0", "-1"])
def test_fold_usage_refuses_an_idle_time_that_is_not_positive(idle):
    with pytest.raises(CommandError, match="--idle-seconds must be a positive number"):
        call_command("fold_usage", "--follow", "--idle-seconds", idle)


@pytest.mark.parametrize(
    ("command", "job"),
    [
        (["mine_emergence"], Job.MINE_EMERGENCE),
        (["mine_emergence", "--full"], Job.MINE_EMERGENCE_FULL),
        (["detect_regressions"], Job.DETECT_REGRESSIONS),
        (["check_rollups", "--sample", "3"], Job.CHECK_ROLLUPS),
        (["fold_usage"], Job.FOLD_ROLLUPS),
        (["manage_partitions"], Job.ENSURE_PARTITIONS),
    ],
)
def test_a_command_doing_a_jobs_work_runs_it_through_the_runner_and_records_the_run(command, job):
    call_command(*command, verbosity=0, stdout=io.StringIO())
    run = JobRun.objects.get()
    assert (run.job, run.trigger, run.status) == (job, Trigger.COMMAND, RunStatus.SUCCEEDED)
    assert run.finished_at is not None and run.message


def test_a_command_whose_run_fails_exits_with_the_runs_message(settings):
    settings.INGEST_FOLD_INTERVAL_SECONDS = -1
    usage_events_record(events=[event_payload(0)])
    call_command("fold_usage", stdout=io.StringIO())
    SkillMetrics.objects.update(total_invocations=7)  # a roll-up that no longer matches the log
    with pytest.raises(CommandError, match="total_invocations: stored 7, rebuilt 1"):
        call_command("check_rollups", "--sample", "1", stdout=io.StringIO())
    failed = JobRun.objects.get(job=Job.CHECK_ROLLUPS)
    assert (failed.trigger, failed.status) == (Trigger.COMMAND, RunStatus.FAILED)
