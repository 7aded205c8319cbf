"""Input and output shapes of the roadmaps API."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from skillsite.schema import require_one_of
from skillsite.serializers import StrictTypes

from .catalog import DOMAINS
from .models import (
    DESCRIPTION_MAX_LENGTH,
    NOTES_MAX_LENGTH,
    REPS_PER_SESSION_MAX,
    ActivityType,
    MilestoneProgress,
    PracticeActivity,
    Roadmap,
    SkillDeconstruction,
    SkillType,
)
from .plan import Milestone
from .selectors import progress_waiting_for, roadmap_progress, roadmap_view
from .services import EDITABLE_FIELDS

COMPLETED_IS_DERIVED = "is worked out from reps; send reps, how many reps this session covered"
NOT_CHANGEABLE = "cannot be changed on a logged session; delete it and log it again"

SKILL_TYPE_HELP = "Optional: a catalog match brings its own kind; other goals are guessed from their words."
CATALOG_ENTRY_HELP = "Optional: start this catalog plan (an id from /api/plan-catalog/) instead of matching the goal."


@extend_schema_field({"type": "object", "additionalProperties": {}})
class PlanField(serializers.JSONField):
    pass


class DeconstructionInputSerializer(StrictTypes, serializers.Serializer):
    user_query = serializers.CharField(max_length=2000, help_text="The goal, e.g. 'learn to juggle'.")
    skill_type = serializers.ChoiceField(choices=SkillType.choices, required=False, help_text=SKILL_TYPE_HELP)
    skill_name = serializers.CharField(max_length=255, required=False, allow_blank=True)
    catalog_entry = serializers.CharField(max_length=100, required=False, help_text=CATALOG_ENTRY_HELP)
    deconstruction_data = PlanField(
        required=False,
        help_text="A plan in seed 003's shape (levels → milestones → doThisNow; docs/catalog.md); omit it to get "
        "the catalog's or the engine's. Rules beyond the shape — levels numbered 1, 2, 3…, unique milestone ids, "
        "totalEstimatedTime the sum of the milestones', acyclic prerequisites — are checked too (400 naming the "
        "JSON path).",
    )


class CatalogSuggestionSerializer(serializers.Serializer):
    id = serializers.CharField()
    title = serializers.CharField()


class CatalogEntrySerializer(serializers.Serializer):
    """A catalog entry as listed: what it teaches and how long it takes, without the plan."""

    id = serializers.CharField()
    title = serializers.CharField()
    domain = serializers.CharField()
    domain_label = serializers.CharField()
    kind = serializers.ChoiceField(choices=SkillType.choices)
    stage = serializers.CharField(help_text="Where the plan takes the learner, e.g. 'A0 → A2 (CEFR)'.")
    difficulty = serializers.CharField()
    aliases = serializers.ListField(child=serializers.CharField())
    keywords = serializers.ListField(child=serializers.CharField())
    practice_types = serializers.ListField(child=serializers.ChoiceField(choices=ActivityType.choices))
    total_minutes = serializers.IntegerField()
    levels_count = serializers.IntegerField()


class CatalogQuerySerializer(serializers.Serializer):
    """The plan catalog's query parameters: a domain or kind it does not have is a 400 naming it."""

    domain = serializers.ChoiceField(choices=list(DOMAINS), required=False)
    kind = serializers.ChoiceField(choices=SkillType.choices, required=False)
    q = serializers.CharField(required=False, allow_blank=True)


class CatalogEntryDetailSerializer(CatalogEntrySerializer):
    plan = serializers.JSONField(help_text="The full plan, in the shape POST /api/deconstructions/ accepts.")


class DeconstructionSerializer(serializers.ModelSerializer):
    is_generic = serializers.BooleanField(read_only=True, help_text="Made by an engine, not an expert plan.")

    class Meta:
        model = SkillDeconstruction
        fields = ["id", "user_query", "skill_name", "skill_type", "origin", "catalog_entry", "is_generic",
                  "deconstruction_data", "created_at", "updated_at"]  # fmt: skip


def closest_catalog_entries(deconstruction: SkillDeconstruction | None) -> list[dict]:
    """The expert plans offered instead of a generic plan (matched in-process, no query)."""
    from .catalog.matching import closest_entries

    if deconstruction is None or not deconstruction.is_generic:
        return []
    return [{"id": m.entry.id, "title": m.entry.title} for m in closest_entries(deconstruction.user_query)]


class DeconstructionCreatedSerializer(DeconstructionSerializer):
    warnings = serializers.ListField(child=serializers.CharField(), read_only=True)
    closest_catalog_entries = serializers.SerializerMethodField()

    class Meta(DeconstructionSerializer.Meta):
        fields = [*DeconstructionSerializer.Meta.fields, "warnings", "closest_catalog_entries"]

    @extend_schema_field(CatalogSuggestionSerializer(many=True))
    def get_closest_catalog_entries(self, deconstruction: SkillDeconstruction) -> list[dict]:
        return closest_catalog_entries(deconstruction)


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


class DoThisNowSerializer(serializers.Serializer):
    prompt = serializers.CharField()
    reps = serializers.IntegerField()
    sets = serializers.IntegerField()
    success_criteria = serializers.CharField()


class MilestoneSerializer(serializers.Serializer):
    id = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField()
    icon = serializers.CharField()
    estimated_time = serializers.IntegerField(help_text="Minutes.")
    do_this_now = DoThisNowSerializer()
    target_completions = serializers.IntegerField(help_text="reps × sets")
    prerequisites = serializers.ListField(child=serializers.CharField(), help_text="Milestone ids it needs first.")
    unlocks_skills = serializers.ListField(
        child=serializers.CharField(), help_text="Agent skill ids granted to the learner when it is completed."
    )
    locked = serializers.BooleanField(help_text=LOCKED_HELP)
    waiting_for = PrerequisiteSerializer(many=True, help_text=WAITING_FOR_HELP)
    progress = MilestoneProgressSerializer(allow_null=True)


class LevelProgressSerializer(serializers.Serializer):
    level = serializers.IntegerField()
    title = serializers.CharField()
    percent = serializers.IntegerField()
    minutes_done = serializers.IntegerField()
    minutes_total = serializers.IntegerField()


class LevelSerializer(LevelProgressSerializer):
    description = serializers.CharField()
    milestones = MilestoneSerializer(many=True)


class ProgressSerializer(serializers.Serializer):
    percent = serializers.IntegerField()
    minutes_done = serializers.IntegerField()
    minutes_total = serializers.IntegerField()
    milestones_completed = serializers.IntegerField()
    milestones_total = serializers.IntegerField()
    levels = LevelProgressSerializer(many=True)


class RoadmapSerializer(serializers.ModelSerializer):
    progress = serializers.SerializerMethodField()
    origin = serializers.CharField(source="deconstruction.origin", read_only=True, allow_null=True, default=None)
    catalog_entry = serializers.CharField(
        source="deconstruction.catalog_entry", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = Roadmap
        fields = ["id", "title", "description", "deconstruction", "is_deconstructed", "origin", "catalog_entry",
                  "archived_at", "progress", "created_at", "updated_at"]  # fmt: skip
        read_only_fields = ["deconstruction", "is_deconstructed", "archived_at"]

    @extend_schema_field(ProgressSerializer)
    def get_progress(self, roadmap: Roadmap) -> dict:
        return roadmap_progress(roadmap)


class RoadmapDetailSerializer(RoadmapSerializer):
    levels = serializers.SerializerMethodField()

    class Meta(RoadmapSerializer.Meta):
        fields = [*RoadmapSerializer.Meta.fields, "levels"]

    @extend_schema_field(LevelSerializer(many=True))
    def get_levels(self, roadmap: Roadmap) -> list[dict]:
        return [
            {
                "level": level.level,
                "title": level.title,
                "description": level.description,
                "percent": level.percent,
                "minutes_done": level.minutes_done,
                "minutes_total": level.minutes_total,
                "milestones": [
                    {
                        "id": m.milestone.id,
                        "title": m.milestone.title,
                        "description": m.milestone.description,
                        "icon": m.milestone.icon,
                        "estimated_time": m.milestone.estimated_time,
                        "do_this_now": {
                            "prompt": m.milestone.prompt,
                            "reps": m.milestone.reps,
                            "sets": m.milestone.sets,
                            "success_criteria": m.milestone.success_criteria,
                        },
                        "target_completions": m.milestone.target,
                        "prerequisites": list(m.milestone.prerequisites),
                        "unlocks_skills": list(m.milestone.unlocks_skills),
                        "locked": m.locked,
                        "waiting_for": waiting_for_data(m.waiting_for),
                        "progress": MilestoneProgressSerializer(m.progress).data if m.progress else None,
                    }
                    for m in level.milestones
                ],
            }
            for level in roadmap_view(roadmap).levels
        ]


class RoadmapCreatedSerializer(RoadmapDetailSerializer):
    warnings = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text="E.g. no expert plan matched (a generic plan), or an LLM plan replaced by the offline one.",
    )
    closest_catalog_entries = serializers.SerializerMethodField()

    class Meta(RoadmapDetailSerializer.Meta):
        fields = [*RoadmapDetailSerializer.Meta.fields, "warnings", "closest_catalog_entries"]

    @extend_schema_field(CatalogSuggestionSerializer(many=True))
    def get_closest_catalog_entries(self, roadmap: Roadmap) -> list[dict]:
        return closest_catalog_entries(roadmap.deconstruction)


class GoalAlreadyStartedSerializer(serializers.Serializer):
    """The 409 of POST /api/roadmaps/: the API's error shape, plus the roadmap already following the goal."""

    detail = serializers.CharField()
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))
    existing_roadmap = serializers.UUIDField()


GOAL_OR_DECONSTRUCTION = "Give a deconstruction id, or a goal (user_query)."


class RoadmapInputSerializer(StrictTypes, serializers.Serializer):
    """Either a deconstruction of yours, or a goal for the catalog (or the engine)."""

    title = serializers.CharField(max_length=255, required=False, allow_blank=True)
    description = serializers.CharField(max_length=DESCRIPTION_MAX_LENGTH, required=False, allow_blank=True)
    deconstruction = serializers.UUIDField(required=False)
    user_query = serializers.CharField(max_length=2000, required=False)
    skill_type = serializers.ChoiceField(choices=SkillType.choices, required=False, help_text=SKILL_TYPE_HELP)
    catalog_entry = serializers.CharField(max_length=100, required=False, help_text=CATALOG_ENTRY_HELP)
    confirm = serializers.BooleanField(
        default=False, help_text="Start a second roadmap for a goal you already have (otherwise 409)."
    )

    def validate(self, attrs):
        if "deconstruction" in attrs:
            return attrs
        if not attrs.get("user_query"):
            raise serializers.ValidationError({"user_query": [GOAL_OR_DECONSTRUCTION]})
        return attrs


require_one_of(
    "RoadmapInputRequest",
    {"RoadmapFromGoalRequest": ["user_query"], "RoadmapFromDeconstructionRequest": ["deconstruction"]},
)


class RoadmapUpdateSerializer(StrictTypes, serializers.Serializer):
    title = serializers.CharField(max_length=255, required=False)
    description = serializers.CharField(max_length=DESCRIPTION_MAX_LENGTH, required=False, allow_blank=True)
    archived = serializers.BooleanField(
        required=False, help_text="true archives (hidden from the default list), false restores."
    )


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
            self.fields["milestone_progress"].queryset = MilestoneProgress.objects.filter(
                deconstruction__owner=request.user
            )

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
