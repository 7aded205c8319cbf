"""Version regressions: per-version roll-ups, the comparison, the mark, its email and its clearing."""

import io
import random
from decimal import Decimal

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from skills.ingestion.record import usage_events_record
from skills.jobs.registry import ROLLUPS_DIFFER
from skills.jobs.runner import job_run
from skills.models import Job, RunStatus, SkillVersion, SkillVersionUsage, VersionRegression
from skills.services.registry import skill_version_publish, skill_version_rollback
from skills.services.regressions import EMAIL_SUBJECT, RECOVERED, regressions_detect
from tests.factories import SkillFactory, UserFactory
from tests.skills.telemetry_helpers import aggregates_snapshot, event_payload

pytestmark = pytest.mark.django_db


def record(skill_id: str, version: str, uses: int, success_rate: float, *, latency: int = 200, seed: int = 0):
    """`uses` events of one version, exactly round(uses × success_rate) of them successful (shuffled)."""
    successes = round(uses * success_rate)
    outcomes = ["success"] * successes + ["failure"] * (uses - successes)
    random.Random(seed).shuffle(outcomes)
    events = [
        event_payload(n, skill_id=skill_id, skill_version=version, outcome=outcome,
                      latency_ms=latency + n % 40, cost_usd="0.002000", error_type="")
        for n, outcome in enumerate(outcomes)
    ]  # fmt: skip
    usage_events_record(events=events, user=UserFactory(username="agent"))


@pytest.fixture
def skill():
    skill = SkillFactory(skill_id="pdf-extract")
    skill_version_publish(skill=skill, content="one", version="1.0.0")
    return skill


@pytest.fixture
def staff_with_email():
    return UserFactory(username="ops", email="ops@example.com", is_staff=True)


def test_each_version_has_its_roll_up_and_a_rebuild_gives_the_same(skill):
    record("pdf-extract", "1.0.0", 30, 0.9)
    skill_version_publish(skill=skill, content="two", version="2.0.0")
    record("pdf-extract", "2.0.0", 20, 0.5, seed=1)
    usage = {u.skill_version.version: u for u in SkillVersionUsage.objects.select_related("skill_version")}
    assert (usage["1.0.0"].total, usage["1.0.0"].success_count) == (30, 27)
    assert (usage["2.0.0"].total, usage["2.0.0"].success_count, usage["2.0.0"].failure_count) == (20, 10, 10)
    assert usage["2.0.0"].cost_usd_sq_sum == Decimal("0.00008")  # 20 × 0.002²
    before = aggregates_snapshot()
    call_command("rebuild_metrics", verbosity=0)
    assert aggregates_snapshot() == before and before["versions"]


def test_version_2_twenty_points_worse_over_400_uses_is_flagged_with_its_interval(skill, staff_with_email, user_client):
    record("pdf-extract", "1.0.0", 400, 0.90)
    skill_version_publish(skill=skill, content="two", version="2.0.0")
    record("pdf-extract", "2.0.0", 400, 0.70, seed=1)
    report = regressions_detect()
    assert report.marked == ["pdf-extract"]
    mark = VersionRegression.objects.active().get()
    success = mark.measures["success_rate"]
    assert success["regressed"] and success["p_value"] < 1e-6
    assert success["baseline"]["value"] == pytest.approx(0.9) and success["current"]["value"] == pytest.approx(0.7)
    assert success["current"]["low"] < 0.7 < success["current"]["high"] < success["baseline"]["low"]
    assert success["drop"]["low"] > 0.1 and success["drop"]["value"] == pytest.approx(0.2)
    assert not mark.measures["p95_ms"]["regressed"] and not mark.measures["cost_per_use_usd"]["regressed"]
    # The email, once, to the staff.
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["ops@example.com"]
    assert mail.outbox[0].subject == EMAIL_SUBJECT.format(skill="pdf-extract", current="2.0.0", baseline="1.0.0")
    assert "Success rate: 90.0 %" in mail.outbox[0].body and "/admin/skills/skill/pdf-extract/" in mail.outbox[0].body
    # The API field.
    body = user_client.get("/api/skills/pdf-extract/").json()
    assert body["regression"]["baseline_version"] == "1.0.0" and body["regression"]["current_version"] == "2.0.0"
    assert body["regression"]["measures"]["success_rate"]["current"]["high"] < 0.9
    # A second run keeps the mark and sends nothing new.
    assert regressions_detect().still_marked == ["pdf-extract"] and len(mail.outbox) == 1


def test_version_2_equal_within_noise_is_not_flagged(skill, staff_with_email, user_client):
    record("pdf-extract", "1.0.0", 400, 0.85)
    skill_version_publish(skill=skill, content="two", version="2.0.0")
    record("pdf-extract", "2.0.0", 400, 0.83, seed=1)
    assert regressions_detect().checked == 1
    assert not VersionRegression.objects.exists() and not mail.outbox
    assert user_client.get("/api/skills/pdf-extract/").json()["regression"] is None


def test_too_few_uses_are_not_compared(skill):
    record("pdf-extract", "1.0.0", 400, 0.9)
    skill_version_publish(skill=skill, content="two", version="2.0.0")
    record("pdf-extract", "2.0.0", 50, 0.2, seed=1)
    assert regressions_detect().checked == 0 and not VersionRegression.objects.exists()


def test_a_slower_version_is_flagged_on_p95(skill):
    record("pdf-extract", "1.0.0", 400, 0.9, latency=200)
    skill_version_publish(skill=skill, content="two", version="2.0.0")
    record("pdf-extract", "2.0.0", 400, 0.9, latency=400, seed=1)
    regressions_detect()
    p95 = VersionRegression.objects.active().get().measures["p95_ms"]
    assert p95["regressed"] and p95["rise"] > 0.8
    assert p95["baseline"]["high"] < p95["current"]["low"]


def test_rollback_clears_the_flag(skill, user_client):
    record("pdf-extract", "1.0.0", 400, 0.90)
    skill_version_publish(skill=skill, content="two", version="2.0.0")
    record("pdf-extract", "2.0.0", 400, 0.70, seed=1)
    regressions_detect()
    skill_version_rollback(skill=skill, version="1.0.0")
    mark = VersionRegression.objects.get()
    assert mark.cleared_at is not None and mark.cleared_reason == "rolled back to 1.0.0"
    assert user_client.get("/api/skills/pdf-extract/").json()["regression"] is None
    # Back on 1.0.0, compared with 2.0.0 (the version current before it): better, so no mark.
    assert regressions_detect().marked == []


def test_a_recovered_version_clears_the_flag(skill):
    record("pdf-extract", "1.0.0", 400, 0.90)
    skill_version_publish(skill=skill, content="two", version="2.0.0")
    record("pdf-extract", "2.0.0", 400, 0.70, seed=1)
    regressions_detect()
    events = [event_payload(n, skill_id="pdf-extract", skill_version="2.0.0", outcome="success", latency_ms=210,
                            cost_usd="0.002000") for n in range(2000, 3600)]  # fmt: skip
    usage_events_record(events=events, user=UserFactory(username="agent"))
    assert regressions_detect().cleared == ["pdf-extract"]
    assert VersionRegression.objects.get().cleared_reason == RECOVERED


def test_the_admin_lists_filters_and_shows_the_banner_with_a_rollback_button(skill, admin_client):
    record("pdf-extract", "1.0.0", 400, 0.90)
    skill_version_publish(skill=skill, content="two", version="2.0.0")
    record("pdf-extract", "2.0.0", 400, 0.70, seed=1)
    SkillFactory(skill_id="other")
    call_command("detect_regressions", verbosity=0)
    listed = admin_client.get("/admin/skills/skill/?regression=yes").content.decode()
    assert "pdf-extract" in listed and "/admin/skills/skill/other/" not in listed
    assert "/admin/skills/skill/other/" in admin_client.get("/admin/skills/skill/?regression=no").content.decode()
    page = admin_client.get("/admin/skills/skill/pdf-extract/change/").content.decode()
    assert 'id="regression-banner"' in page and "Roll back to 1.0.0" in page
    assert 'id="regressions-notice"' in admin_client.get("/admin/").content.decode()
    baseline = SkillVersion.objects.get(skill=skill, version="1.0.0")
    admin_client.post(f"/admin/skills/skill/pdf-extract/rollback/{baseline.pk}/")
    assert not VersionRegression.objects.active().exists()
    assert 'id="regression-banner"' not in admin_client.get("/admin/skills/skill/pdf-extract/change/").content.decode()


def test_the_skill_detail_takes_a_fixed_number_of_queries(skill, user_client, django_assert_num_queries):
    with django_assert_num_queries(8):
        # the skill with its metrics; its current version; its active regression with both versions;
        # metrics_as_of (the oldest queued event); its health: the daily roll-up rows, the sessions;
        # the caller's unlock (may the content be shown); its attributed cost: its joined uses (none
        # here, so not their prompts' requests)
        user_client.get("/api/skills/pdf-extract/")


def test_the_roll_up_check_finds_a_tampered_row_writes_nothing_and_alerts(skill, staff_with_email):
    record("pdf-extract", "1.0.0", 400, 0.9)  # costs summing to 0.8: SQLite sums decimals as floats
    SkillFactory(skill_id="quiet")
    assert call_command("check_rollups", "--sample", "5", stdout=io.StringIO()) is None
    SkillVersionUsage.objects.filter(skill_version__version="1.0.0").update(total=399)
    before = aggregates_snapshot()
    with pytest.raises(CommandError, match="version .* total: stored 399, rebuilt 400"):
        call_command("check_rollups", "--sample", "5", stdout=io.StringIO())
    run = job_run(Job.CHECK_ROLLUPS)
    assert run.status == RunStatus.FAILED and "stored 399, rebuilt 400" in run.message
    assert mail.outbox[-1].subject == f"[skillsite] {ROLLUPS_DIFFER}" and mail.outbox[-1].to == ["ops@example.com"]
    assert aggregates_snapshot() == before
