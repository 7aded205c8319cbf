"""The database itself refuses data that breaks the registry's invariants."""

import uuid

import pytest
from django.db import IntegrityError, connection, transaction

from skills.models import Feedback, SkillUnlock, UsageEvent
from tests.factories import SkillFactory, SkillVersionFactory, UsageEventFactory, UserFactory

pytestmark = pytest.mark.django_db


def refused(create) -> bool:
    try:
        with transaction.atomic():
            create()
    except IntegrityError:
        return True
    return False


def test_two_current_versions_of_one_skill_are_refused():
    skill = SkillFactory()
    SkillVersionFactory(skill=skill, version="1.0.0", is_current=True)
    assert refused(lambda: SkillVersionFactory(skill=skill, version="1.1.0", is_current=True))


def test_current_versions_of_different_skills_coexist():
    SkillVersionFactory(version="1.0.0", is_current=True)
    SkillVersionFactory(version="1.0.0", is_current=True)


def test_duplicate_version_number_is_refused():
    skill = SkillFactory()
    SkillVersionFactory(skill=skill, version="1.0.0")
    assert refused(lambda: SkillVersionFactory(skill=skill, version="1.0.0"))


@pytest.mark.parametrize("level", [0, 6])
def test_trust_level_outside_1_to_5_is_refused(level):
    assert refused(lambda: SkillFactory(trust_level=level))


@pytest.mark.parametrize("level", [1, 5])
def test_trust_level_bounds_are_accepted(level):
    assert SkillFactory(trust_level=level).trust_level == level


@pytest.mark.parametrize("rating", [0, 6])
def test_feedback_rating_outside_1_to_5_is_refused(rating):
    skill = SkillFactory()
    assert refused(lambda: Feedback.objects.create(skill=skill, rating=rating))


def test_unrated_feedback_is_accepted():
    assert Feedback.objects.create(skill=SkillFactory(), rating=None).rating is None


def test_duplicate_user_skill_unlock_is_refused():
    user, skill = UserFactory(), SkillFactory()
    SkillUnlock.objects.create(user=user, skill=skill)
    assert refused(lambda: SkillUnlock.objects.create(user=user, skill=skill, unlocked=False))


def test_duplicate_event_id_is_refused():
    event_id = uuid.uuid4()
    UsageEventFactory(event_id=event_id)
    assert refused(lambda: UsageEventFactory(event_id=event_id))


def test_completed_must_match_outcome():
    assert refused(lambda: UsageEventFactory(outcome="failure", completed=True))


def test_unknown_tier_is_refused():
    assert refused(lambda: SkillFactory(tier="legendary"))


@pytest.mark.postgres
def test_usage_log_refuses_update_and_delete_on_postgres():
    event = UsageEventFactory()
    with pytest.raises(IntegrityError, match="append-only"):
        with transaction.atomic():
            UsageEvent.objects.filter(pk=event.pk).update(latency_ms=1)
    with pytest.raises(IntegrityError, match="append-only"):
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("DELETE FROM skills_usageevent WHERE id = %s", [event.pk])
    assert UsageEvent.objects.get(pk=event.pk).latency_ms == event.latency_ms
