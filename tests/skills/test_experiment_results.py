"""Experiment results: which events count and for which arm, the figures, and no verdict early."""

import math
import uuid
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from skills.experiment_stats import msprt_breached, quantile, quantile_interval, ratio
from skills.ingestion.record import usage_events_record
from skills.models import Experiment
from skills.selectors.experiment_results import NOT_ENOUGH_DATA, experiment_results
from skills.selectors.experiments import assignment_of, with_arms
from skills.services.experiments import experiment_stop
from tests.factories import UserFactory, make_experiment

pytestmark = pytest.mark.django_db


@pytest.fixture
def platform():
    account = UserFactory(username="platform")
    account.user_permissions.add(Permission.objects.get(codename="ingest_for_any_user"))
    return account


def loaded(experiment) -> Experiment:
    return with_arms(Experiment.objects).get(pk=experiment.pk)


def post(platform, experiment, user, *, version: str, outcome="success", latency=100, when=None, n=1):
    events = [
        {"event_id": str(uuid.uuid4()), "skill_id": experiment.skill_id, "skill_version": version,
         "user": user.pk, "outcome": outcome, "latency_ms": latency, "tokens_used": 200,
         **({"occurred_at": when.isoformat()} if when else {})}
        for _ in range(n)
    ]  # fmt: skip
    usage_events_record(events=events, user=platform)


def users_in(experiment, arm_position: int, count: int) -> list:
    found = []
    while len(found) < count:
        user = UserFactory()
        if assignment_of(loaded(experiment), user).arm.position == arm_position:
            found.append(user)
    return found


def test_uses_count_for_the_users_arm_whatever_version_they_name(platform):
    experiment = make_experiment()
    treated = users_in(experiment, 1, 3)
    control = users_in(experiment, 0, 2)
    for user in treated:
        post(platform, experiment, user, version="1.0.0", n=2)  # a stale client names the control's version
    for user in control:
        post(platform, experiment, user, version="2.0.0", outcome="failure")

    arms = experiment_results(loaded(experiment))["arms"]

    assert [(arm["label"], arm["users"], arm["uses"]) for arm in arms] == [("control", 2, 2), ("treatment 1", 3, 6)]
    assert arms[0]["metrics"]["success_rate"]["value"] == 0.0 and arms[1]["metrics"]["success_rate"]["value"] == 1.0


def test_uses_outside_the_window_and_of_excluded_users_do_not_count(platform, admin_user):
    excluded = UserFactory()
    experiment = make_experiment(excluded_users=[excluded])
    counted = UserFactory()
    post(platform, experiment, counted, version="1.0.0", when=experiment.started_at - timedelta(minutes=1))
    post(platform, experiment, excluded, version="1.0.0")
    post(platform, experiment, admin_user, version="1.0.0")  # staff: kept on the control, not counted
    post(platform, experiment, counted, version="1.0.0")
    experiment_stop(experiment=experiment, decided_by=admin_user)
    post(platform, experiment, counted, version="1.0.0", when=timezone.now() + timedelta(minutes=1))

    arms = experiment_results(loaded(experiment))["arms"]

    assert sum(arm["uses"] for arm in arms) == 1 and sum(arm["users"] for arm in arms) == 1


def test_no_verdict_before_the_planned_sample_however_clear_it_looks(platform):
    experiment = make_experiment(min_effect=0.5)
    for user in users_in(experiment, 1, 20):
        post(platform, experiment, user, version="2.0.0", outcome="success")
    for user in users_in(experiment, 0, 20):
        post(platform, experiment, user, version="1.0.0", outcome="failure")

    results = experiment_results(loaded(experiment))

    assert not results["reached"] and results["arms"][1]["verdict"] == NOT_ENOUGH_DATA
    difference = results["arms"][1]["differences"]["success_rate"]
    assert difference["value"] == 1.0  # the figures are shown, the verdict is not


def test_the_verdict_comes_at_the_planned_sample(platform):
    experiment = make_experiment(min_effect=0.9)  # 50 % → 95 %: a few uses per arm
    planned = experiment.planned_uses
    assert planned <= 20
    for index, user in enumerate(users_in(experiment, 1, planned)):
        post(platform, experiment, user, version="2.0.0", outcome="success" if index % 10 else "failure")
    for index, user in enumerate(users_in(experiment, 0, planned)):
        post(platform, experiment, user, version="1.0.0", outcome="success" if index % 3 == 0 else "failure")

    results = experiment_results(loaded(experiment))

    assert results["reached"] and results["arms"][1]["verdict"] == "better"


def test_one_use_a_user_gives_the_binomial_variance():
    pairs = [(1, 1)] * 30 + [(1, 0)] * 70
    estimate = ratio(pairs)
    assert estimate.value == 0.3
    assert math.isclose(estimate.variance, 0.3 * 0.7 / 99, rel_tol=1e-9)  # the sample variance over n


def test_heavy_users_widen_the_interval():
    """The same 100 uses and successes from 10 users of 10 uses each, some always succeeding and
    some never: users, not uses, are the independent units, so the variance is far larger."""
    clustered = ratio([(10, 10)] * 3 + [(10, 0)] * 7)
    spread = ratio([(1, 1)] * 30 + [(1, 0)] * 70)
    assert clustered.value == spread.value and clustered.variance > 5 * spread.variance


def test_the_always_valid_test_needs_more_evidence_than_a_single_look():
    assert not msprt_breached(0.0, 0.01, 0.1, 0.05)
    assert not msprt_breached(2.5 * 0.1, 0.01, 0.1, 0.05)  # z = 2.5 is not enough when looking forever
    assert msprt_breached(5 * 0.1, 0.01, 0.1, 0.05)


def test_quantile_and_its_interval():
    values = [float(v) for v in range(1, 101)]
    assert quantile(values, 0.95) == 95.0
    low, high = quantile_interval(values, 0.95, 1.96)
    assert low < 95 < high and high <= 100
