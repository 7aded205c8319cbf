"""Choices the plan validator and the models share (plan.py cannot import models.py: models import it)."""

from django.db import models


class ActivityType(models.TextChoices):
    """What a practice session was; a plan's milestone names the one it expects (`practiceType`)."""

    DRILL = "drill", "Drill"
    SPEAKING = "speaking", "Speaking"
    LISTENING = "listening", "Listening"
    READING = "reading", "Reading"
    WRITING = "writing", "Writing"
    PLAYING = "playing", "Playing"
    EXERCISE = "exercise", "Exercise"
    CODE_CHALLENGE = "code_challenge", "Code challenge"
    VIDEO = "video", "Video"
    OTHER = "other", "Other"


class SkillType(models.TextChoices):
    """How a skill is practised: with the body, with the mind, or both (a catalog entry says which)."""

    PHYSICAL = "physical", "Physical"
    ABSTRACT = "abstract", "Abstract"
    MIXED = "mixed", "Mixed"


class PlanOrigin(models.TextChoices):
    """Where a deconstruction's plan came from; pages and the API label generic plans as such."""

    CATALOG = "catalog", "Expert plan from the catalog"
    GENERIC = "generic", "Generic plan"
    LLM = "llm", "Plan from the language model"
    CUSTOM = "custom", "Your own plan"


__all__ = ["ActivityType", "PlanOrigin", "SkillType"]
