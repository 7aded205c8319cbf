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


__all__ = ["ActivityType"]
