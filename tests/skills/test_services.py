"""Registry write paths: publishing, rollback, unlocks."""

import pytest
from django.core.exceptions import ValidationError

from skills.models import SkillUnlock, Tier
from skills.services.registry import (
    is_skill_unlocked,
    next_patch_version,
    skill_unlock_grant,
    skill_unlock_revoke,
    skill_version_publish,
    skill_version_rollback,
)
from tests.factories import SkillFactory, UserFactory

pytestmark = pytest.mark.django_db


def current_version(skill) -> str:
    return skill.versions.get(is_current=True).version


def test_publishing_makes_the_new_version_the_only_current_one():
    skill = SkillFactory()
    skill_version_publish(skill=skill, version="1.0.0", content="one")
    skill_version_publish(skill=skill, version="1.1.0", content="two")
    assert current_version(skill) == "1.1.0"
    assert skill.versions.filter(is_current=True).count() == 1
    assert skill.versions.count() == 2


def test_publishing_without_a_version_takes_the_next_patch():
    skill = SkillFactory()
    assert next_patch_version(skill) == "1.0.0"
    skill_version_publish(skill=skill, version="1.2.9", content="a")
    skill_version_publish(skill=skill, version="1.10.0", content="b")
    published = skill_version_publish(skill=skill, content="c")
    assert published.version == "1.10.1"


def test_publishing_records_the_content_hash():
    published = skill_version_publish(skill=SkillFactory(), version="1.0.0", content="hello")
    assert published.sha256 == "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"


@pytest.mark.parametrize("bad", ["1.0", "v1.0.0", "01.0.0", "latest"])
def test_publishing_refuses_a_version_that_is_not_semver(bad):
    skill = SkillFactory()
    with pytest.raises(ValidationError) as excinfo:
        skill_version_publish(skill=skill, version=bad, content="x")
    assert "version" in excinfo.value.message_dict
    assert skill.versions.count() == 0


def test_publishing_an_existing_version_is_refused_and_keeps_the_current_one():
    skill = SkillFactory()
    skill_version_publish(skill=skill, version="1.0.0", content="a")
    skill_version_publish(skill=skill, version="1.1.0", content="b")
    with pytest.raises(ValidationError, match="already exists"):
        skill_version_publish(skill=skill, version="1.0.0", content="c")
    assert current_version(skill) == "1.1.0"


def test_rollback_makes_an_older_version_current_and_keeps_the_others():
    skill = SkillFactory()
    skill_version_publish(skill=skill, version="1.0.0", content="a")
    skill_version_publish(skill=skill, version="2.0.0", content="b")
    skill_version_rollback(skill=skill, version="1.0.0")
    assert current_version(skill) == "1.0.0"
    assert skill.versions.count() == 2


def test_rollback_to_an_unknown_version_is_refused():
    skill = SkillFactory()
    skill_version_publish(skill=skill, version="1.0.0", content="a")
    with pytest.raises(ValidationError, match="no version 9.9.9"):
        skill_version_rollback(skill=skill, version="9.9.9")
    assert current_version(skill) == "1.0.0"


def test_granting_an_unlock_records_reason_who_and_when():
    admin, learner, skill = UserFactory(is_staff=True), UserFactory(), SkillFactory()
    unlock = skill_unlock_grant(user=learner, skill_id=skill.skill_id, reason="finished the course", granted_by=admin)
    assert (unlock.unlocked, unlock.unlock_reason, unlock.granted_by) == (True, "finished the course", admin)
    assert unlock.unlocked_at is not None


def test_granting_again_updates_the_same_row():
    learner, skill = UserFactory(), SkillFactory()
    skill_unlock_grant(user=learner, skill_id=skill.skill_id, reason="first")
    skill_unlock_revoke(user=learner, skill_id=skill.skill_id, reason="misuse")
    skill_unlock_grant(user=learner, skill_id=skill.skill_id, reason="second chance")
    unlock = SkillUnlock.objects.get(user=learner, skill=skill)
    assert (unlock.unlocked, unlock.unlock_reason) == (True, "second chance")


def test_revoking_keeps_the_row_locked():
    learner, skill = UserFactory(), SkillFactory()
    skill_unlock_grant(user=learner, skill_id=skill.skill_id, reason="trial")
    skill_unlock_revoke(user=learner, skill_id=skill.skill_id, reason="trial over")
    unlock = SkillUnlock.objects.get(user=learner, skill=skill)
    assert unlock.unlocked is False
    assert not is_skill_unlocked(learner, skill)


def test_foundational_skills_are_always_unlocked():
    learner = UserFactory()
    assert is_skill_unlocked(learner, SkillFactory(tier=Tier.FOUNDATIONAL))
    assert not is_skill_unlocked(learner, SkillFactory(tier=Tier.ADVANCED))


def test_an_unlock_opens_a_skill_for_that_user_only():
    learner, other, skill = UserFactory(), UserFactory(), SkillFactory(tier=Tier.EXPERT)
    skill_unlock_grant(user=learner, skill_id=skill.skill_id)
    assert is_skill_unlocked(learner, skill)
    assert not is_skill_unlocked(other, skill)
