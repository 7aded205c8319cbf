"""Milestone progress: its counters, its notes, and its lock (the prerequisites it waits for)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from skillsite.serializers import StrictTypes

from ..models import NOTES_MAX_LENGTH, MilestoneProgress
from ..plan import Milestone
from ..selectors.roadmaps import progress_waiting_for


class MilestoneNotesSerializer(StrictTypes, serializers.Serializer):
    notes = serializers.CharField(
        allow_blank=True, max_length=NOTES_MAX_LENGTH, trim_whitespace=False, required=False,
        help_text="Your notes; omitted, they are left as they are.",
    )  # fmt: skip


class MilestoneProgressSerializer(serializers.ModelSerializer):
    class Meta:
        model = MilestoneProgress
        fields = [
            "id",
            "milestone_id",
            "status",
            "started_at",
            "completed_at",
            "practice_attempts",
            "practice_completions",
            "notes",
        ]
        read_only_fields = fields


class PrerequisiteSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="A milestone id of the same plan.")
    title = serializers.CharField()


def waiting_for_data(waiting: list[Milestone]) -> list[dict]:
    return [{"id": milestone.id, "title": milestone.title} for milestone in waiting]


LOCKED_HELP = "Not started, and some prerequisites are not completed: starting it or logging practice is refused."
WAITING_FOR_HELP = "The prerequisites a locked milestone waits for; empty when it is open."


class MilestoneProgressLockSerializer(MilestoneProgressSerializer):
    """Progress with its lock, worked out from the plan and the other rows of the deconstruction
    (prefetched by the list; one query for a single row)."""

    locked = serializers.SerializerMethodField(help_text=LOCKED_HELP)
    waiting_for = serializers.SerializerMethodField(help_text=WAITING_FOR_HELP)

    class Meta(MilestoneProgressSerializer.Meta):
        fields = [*MilestoneProgressSerializer.Meta.fields, "locked", "waiting_for"]
        read_only_fields = fields

    def to_representation(self, progress: MilestoneProgress) -> dict:
        # Worked out once for both fields (a list serializer reuses this child row by row).
        self._waiting = progress_waiting_for(progress)
        return super().to_representation(progress)

    def get_locked(self, progress: MilestoneProgress) -> bool:
        return bool(self._waiting)

    @extend_schema_field(PrerequisiteSerializer(many=True))
    def get_waiting_for(self, progress: MilestoneProgress) -> list[dict]:
        return waiting_for_data(self._waiting)
