"""The skills API, registered on the project router."""

from skillsite.api import router

from .registry import SkillUnlockViewSet, SkillViewSet

router.register("skills", SkillViewSet, basename="skill")
router.register("unlocks", SkillUnlockViewSet, basename="unlock")
