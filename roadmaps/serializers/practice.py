"""Practice activities: a session logged, and the corrections a logged session accepts."""

from __future__ import annotations

from rest_framework import serializers

from skillsite.serializers import StrictTypes

from ..models import REPS_PER_SESSION_MAX, ActivityType, MilestoneProgress, PracticeActivity
from ..services.practice import EDITABLE_FIELDS
from .milestones import MilestoneProgressSerializer

COMPLETED_IS_DERIVED = "is worked out from reps; send reps, how many reps this session covered"
NOT_CHANGEABLE = "cannot be changed on a logged session; delete it and log it again"


def _refuse_fields(serializer: serializers.Serializer, refused: dict[str, str]) -> None:
    """Fields the server owns are refused by name rather than silently ignored."""
    sent = serializer.initial_data if isinstance(serializer.initial_data, dict) else {}
    errors = {name: [message] for name, message in refused.items() if name in sent}
    if errors:
        raise serializers.ValidationError(errors)


class PracticeActivitySerializer(StrictTypes, serializers.ModelSerializer):
    milestone_progress = serializers.PrimaryKeyRelatedField(queryset=MilestoneProgress.objects.none())
    milestone_id = serializers.CharField(source="milestone_progress.milestone_id", read_only=True)
    activity_type = serializers.ChoiceField(choices=ActivityType.choices)
    reps = serializers.IntegerField(
        min_value=0, max_value=REPS_PER_SESSION_MAX, required=False, default=0,
        help_text="Reps of the milestone's do-this-now this session covered; they count as completions.",
    )  # fmt: skip
    difficulty_rating = serializers.IntegerField(min_value=1, max_value=5, required=False, allow_null=True)
    completion_time = serializers.IntegerField(min_value=0, max_value=24 * 60, required=False, allow_null=True)
    progress = MilestoneProgressSerializer(
        source="milestone_progress", read_only=True, help_text="The milestone's progress after this write."
    )

    class Meta:
        model = PracticeActivity
        fields = [
            "id",
            "milestone_progress",
            "milestone_id",
            "activity_type",
            "title",
            "description",
            "reps",
            "completed",
            "counted",
            "completion_time",
            "difficulty_rating",
            "user_notes",
            "practiced_on",
            "created_at",
            "completed_at",
            "progress",
        ]
        read_only_fields = ["id", "completed", "counted", "created_at", "completed_at"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None and request.user.is_authenticated:
            # Only the learner's own milestones: another learner's id is "does not exist".
            self.fields["milestone_progress"].queryset = MilestoneProgress.objects.for_learner(request.user)

    def validate(self, attrs):
        _refuse_fields(self, {"completed": COMPLETED_IS_DERIVED})
        return attrs


class PracticeActivityUpdateSerializer(StrictTypes, serializers.ModelSerializer):
    """PATCH: any of the session's own fields; the milestone's progress is recounted."""

    activity_type = serializers.ChoiceField(choices=ActivityType.choices, required=False)
    reps = serializers.IntegerField(min_value=0, max_value=REPS_PER_SESSION_MAX, required=False)
    difficulty_rating = serializers.IntegerField(min_value=1, max_value=5, required=False, allow_null=True)
    completion_time = serializers.IntegerField(min_value=0, max_value=24 * 60, required=False, allow_null=True)

    class Meta:
        model = PracticeActivity
        fields = list(EDITABLE_FIELDS)
        extra_kwargs = {"title": {"required": False}}

    def validate(self, attrs):
        _refuse_fields(self, {"completed": COMPLETED_IS_DERIVED, "milestone_progress": NOT_CHANGEABLE})
        return attrs
