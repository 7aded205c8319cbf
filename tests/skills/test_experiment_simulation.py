"""The simulation: synthetic users with known truths drive the real services (create, start,
assignment, usage_events_record, the results and the snapshot) and the statistics must hold.

- A/A: the treatment is the control's twin. Run 200 times at the planned sample, a difference
  is declared in at most about α of the runs.
- A/B: the treatment's success rate is higher by exactly the planned effect. It is detected in at
  least about `power` of the runs.
- Guardrail: the treatment is 3× slower. The snapshot stops the experiment before the planned
  sample, everyone is served the control again, and staff get an email.

Users use the skill one to three times each, and report the control's version whatever arm they
are in: the results must attribute their uses by assignment (intention to treat).
"""

import math
import random
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core import mail

from skills.ingestion.record import usage_events_record
from skills.models import Experiment, ExperimentStatus, Metric
from skills.selectors.experiment_results import NO_DIFFERENCE, NOT_ENOUGH_DATA, experiment_results
from skills.selectors.experiments import assignment_of, excluded_ids, versions_served, with_arms
from skills.selectors.registry import skills_with_current_version
from skills.services.experiments import experiment_snapshot_take
from tests.factories import UserFactory, make_experiment

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

ALPHA, POWER = 0.05, 0.8
BASE_RATE, EFFECT = 0.5, 0.4  # 50 % success; the smallest effect worth detecting: +40 % (to 70 %)
RUNS_AA, RUNS_AB = 200, 100
POOL = 400


@pytest.fixture
def pool(db):
    users = get_user_model().objects.bulk_create(get_user_model()(username=f"synthetic-{n}") for n in range(POOL))
    return list(get_user_model().objects.filter(username__startswith="synthetic-").order_by("pk"))[: len(users)]


@pytest.fixture
def agent_platform(db):
    """The service account an agent platform posts its users' events with."""
    account = UserFactory(username="platform")
    account.user_permissions.add(Permission.objects.get(codename="ingest_for_any_user"))
    return get_user_model().objects.get(pk=account.pk)


def use(skill_id: str, user, rng: random.Random, success_rate: float, latency_scale: float) -> dict:
    return {
        "event_id": str(uuid.UUID(int=rng.getrandbits(128))),
        "skill_id": skill_id,
        "skill_version": "1.0.0",  # what the client claims: the arm decides, not this
        "user": user.pk,
        "outcome": "success" if rng.random() < success_rate else "failure",
        "latency_ms": round(latency_scale * rng.lognormvariate(math.log(200), 0.5)),
        "tokens_used": rng.randint(100, 300),
    }


def run(experiment, users, platform, rng, truths: dict[int, tuple[float, float]], batch: int | None = None):
    """Users take turns (each one to three uses, as their arm's truth says) until every arm has its
    planned uses; with `batch`, a snapshot every `batch` users (and a stop when it says so)."""
    experiment = with_arms(Experiment.objects).get(pk=experiment.pk)
    uses = {arm.position: 0 for arm in experiment.arms.all()}
    events, excluded = [], excluded_ids(experiment)
    for index, user in enumerate(users, start=1):
        arm = assignment_of(experiment, user, excluded).arm
        rate, scale = truths[arm.position]
        for _ in range(rng.randint(1, 3)):
            events.append(use(experiment.skill_id, user, rng, rate, scale))
            uses[arm.position] += 1
        if batch and index % batch == 0:
            usage_events_record(events=events, user=platform)
            events = []
            if experiment_snapshot_take(experiment=experiment).experiment.status != ExperimentStatus.RUNNING:
                return uses
        if min(uses.values()) >= experiment.planned_uses:
            break
    usage_events_record(events=events, user=platform)
    return uses


def declared(experiment) -> bool:
    experiment = with_arms(Experiment.objects).get(pk=experiment.pk)
    verdict = experiment_results(experiment)["arms"][1]["verdict"]
    assert verdict != NOT_ENOUGH_DATA
    return verdict != NO_DIFFERENCE


def test_a_and_a_declares_a_difference_in_at_most_about_alpha_of_runs(pool, agent_platform):
    rng = random.Random(27)
    found = 0
    for _ in range(RUNS_AA):
        experiment = make_experiment(min_effect=EFFECT, alpha=ALPHA, power=POWER)
        rng.shuffle(pool)
        run(experiment, pool, agent_platform, rng, {0: (BASE_RATE, 1), 1: (BASE_RATE, 1)})
        found += declared(experiment)
    # At most α plus 2.5 standard errors of a rate measured on 200 runs (α = 5 %: 18 runs of 200).
    assert found / RUNS_AA <= ALPHA + 2.5 * math.sqrt(ALPHA * (1 - ALPHA) / RUNS_AA), found


def test_a_and_b_detects_the_planned_effect_in_at_least_about_power_of_runs(pool, agent_platform):
    rng = random.Random(1027)
    found = 0
    for _ in range(RUNS_AB):
        experiment = make_experiment(min_effect=EFFECT, alpha=ALPHA, power=POWER)
        rng.shuffle(pool)
        run(experiment, pool, agent_platform, rng, {0: (BASE_RATE, 1), 1: (BASE_RATE * (1 + EFFECT), 1)})
        found += declared(experiment)
    assert found / RUNS_AB >= POWER - 2.5 * math.sqrt(POWER * (1 - POWER) / RUNS_AB), found


def test_a_treatment_three_times_slower_is_stopped_by_its_guardrail_before_the_planned_sample(
    pool, agent_platform, admin_user, django_capture_on_commit_callbacks
):
    rng = random.Random(7)
    experiment = make_experiment(min_effect=0.1, guardrails={Metric.LATENCY_P95: 0.5})
    assert experiment.planned_uses > 1_000  # a small effect: a long experiment, unless stopped

    with django_capture_on_commit_callbacks(execute=True):  # the email goes once the stop is committed
        uses = run(experiment, pool, agent_platform, rng, {0: (BASE_RATE, 1), 1: (BASE_RATE, 3)}, batch=20)

    experiment.refresh_from_db()
    assert experiment.status == ExperimentStatus.BREACHED
    assert max(uses.values()) < experiment.planned_uses
    assert "Latency p95 worse than allowed (50%)" in experiment.decision["reason"]
    assert [message.to for message in mail.outbox] == [[admin_user.email]]
    skills = list(skills_with_current_version().filter(pk=experiment.skill_id))
    assert {versions_served(skills, user)[experiment.skill_id].version.version for user in pool[:40]} == {"1.0.0"}
