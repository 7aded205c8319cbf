"""Skill health on generated usage: healthy, too few uses to judge, dormant, failing, misfiring; in the API
and the admin."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from skills.ingestion.record import usage_events_record
from skills.models import Skill
from skills.selectors.skill_health import CHARS_PER_TOKEN, Health, skills_health
from skills.services.registry import skill_version_publish
from tests.factories import SkillFactory

pytestmark = pytest.mark.django_db
NOW = timezone.now()


def use(skill_id: str, outcome: str, *, days_ago: float = 0, session: str | None = None, times: int = 1) -> None:
    occurred = NOW - timedelta(days=days_ago, minutes=1)
    usage_events_record(
        events=[
            {
                "event_id": str(uuid.uuid4()),
                "skill_id": skill_id,
                "outcome": outcome,
                "session_id": session or f"s-{uuid.uuid4()}",
                "occurred_at": occurred.isoformat(),
            }
            for _ in range(times)
        ]
    )


def registered_days_ago(skill_id: str, days: int, **fields) -> Skill:
    skill = SkillFactory(skill_id=skill_id, **fields)
    Skill.objects.filter(pk=skill_id).update(created_at=NOW - timedelta(days=days))
    return skill


def statuses() -> dict[str, str]:
    return {skill_id: health.status for skill_id, health in skills_health(now=NOW).items()}


def test_each_status_on_generated_usage():
    registered_days_ago("steady", 90)
    use("steady", "success", times=12)
    use("steady", "error", times=2)
    registered_days_ago("broken", 90)
    use("broken", "success", times=2)
    use("broken", "error", times=6)
    registered_days_ago("regressed", 90)
    use("regressed", "success", days_ago=20, times=30)  # good once; its last 20 uses are not
    use("regressed", "failure", days_ago=1, times=10)
    use("regressed", "error", times=10)
    registered_days_ago("loaded-and-dropped", 90)
    for n in range(6):
        use("loaded-and-dropped", "abandoned", session=f"dropped-{n}")
    use("loaded-and-dropped", "success", session="kept")
    registered_days_ago("forgotten", 90)
    use("forgotten", "success", days_ago=40)
    registered_days_ago("never-used", 90)
    registered_days_ago("switched-off", 90, enabled=False)
    registered_days_ago("brand-new", 2)

    assert statuses() == {
        "steady": Health.HEALTHY,
        "broken": Health.FAILING,
        "regressed": Health.FAILING,
        "loaded-and-dropped": Health.MISFIRING,
        "forgotten": Health.DORMANT,
        "never-used": Health.DORMANT,
        "switched-off": Health.TOO_FEW_USES,  # not available, so not dormant
        "brand-new": Health.TOO_FEW_USES,
    }
    health = skills_health(now=NOW)
    assert (health["regressed"].recent_uses, health["regressed"].recent_success_rate) == (20, 0.0)
    assert (health["loaded-and-dropped"].sessions, health["loaded-and-dropped"].misfired_sessions) == (7, 6)
    assert health["broken"].reason == "2 of its last 8 uses succeeded (25 %)"


def test_four_uses_at_25_percent_are_too_few_to_judge_never_healthy():
    registered_days_ago("new-ish", 3)
    use("new-ish", "success")
    use("new-ish", "error", times=3)

    health = skills_health(now=NOW)["new-ish"]

    assert health.status == Health.TOO_FEW_USES
    assert health.reason == "4 use(s) in the last 30 days: too few to judge (fewer than 5)"


def test_every_condition_that_applies_is_listed_failing_and_misfiring_together():
    registered_days_ago("bad", 90)
    for n in range(6):
        use("bad", "error", session=f"bad-{n}")

    health = skills_health(now=NOW)["bad"]

    assert [condition["status"] for condition in health.conditions] == [Health.FAILING, Health.MISFIRING]
    assert health.status == Health.FAILING


def test_percentiles_over_few_samples_are_marked_rough(user_client, admin_client):
    SkillFactory(skill_id="timed")
    usage_events_record(
        events=[
            {"event_id": str(uuid.uuid4()), "skill_id": "timed", "outcome": "success", "latency_ms": 100 * n}
            for n in range(1, 5)
        ]
    )

    data = user_client.get("/api/skills/timed/").data

    assert data["metrics"]["duration_count"] == 4 and data["metrics"]["percentiles_reliable"] is False
    assert "only 4 timed uses: rough" in admin_client.get("/admin/skills/skill/timed/change/").content.decode()


def test_thresholds_come_from_settings(settings):
    registered_days_ago("shaky", 90)
    use("shaky", "success", times=6)
    use("shaky", "error", times=4)
    assert statuses()["shaky"] == Health.HEALTHY
    settings.SKILL_HEALTH_FAILING_RATE = 70
    assert statuses()["shaky"] == Health.FAILING


def test_detail_has_health_and_context_cost(user_client):
    skill = SkillFactory(skill_id="pdf-extract", description="Extracts tables.")
    skill_version_publish(skill=skill, content="x" * 400)
    use("pdf-extract", "error", times=5)

    data = user_client.get("/api/skills/pdf-extract/").data

    assert data["health"]["status"] == "failing"
    assert data["health"]["recent_uses"] == 5
    listing = len("pdf-extract: Extracts tables.")
    assert data["context_cost"] == {"listing_tokens": -(-listing // CHARS_PER_TOKEN), "body_tokens": 100}


@pytest.mark.parametrize("skills", [3, 12])
def test_the_list_filters_by_health_in_the_same_queries_for_any_number(user_client, django_assert_num_queries, skills):
    for n in range(skills):
        registered_days_ago(f"skill-{n:02}", 90)
        use(f"skill-{n:02}", "error" if n % 3 == 0 else "success", times=5, session=f"session-{n}")
    failing = [f"skill-{n:02}" for n in range(skills) if n % 3 == 0]
    # health: the skills with metrics, their daily rows, their sessions; then count, page, current versions
    with django_assert_num_queries(6):
        response = user_client.get("/api/skills/?health=failing")
    assert [row["skill_id"] for row in response.data["results"]] == failing
    assert user_client.get("/api/skills/?health=nonsense").status_code == 400


def test_the_admin_shows_health_as_a_column_and_a_filter(admin_client):
    registered_days_ago("broken", 90)
    use("broken", "error", times=5)
    registered_days_ago("steady", 1)
    use("steady", "success", times=5)

    page = admin_client.get("/admin/skills/skill/").content.decode()
    assert "Failing" in page and "Healthy" in page

    filtered = admin_client.get("/admin/skills/skill/?health=failing")
    assert [skill.skill_id for skill in filtered.context["cl"].result_list] == ["broken"]
