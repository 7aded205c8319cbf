"""Roadmaps: the list and the detail (levels, milestones, progress), and what creating or
changing one accepts."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from skillsite.schema import require_one_of
from skillsite.serializers import StrictTypes

from ..models import DESCRIPTION_MAX_LENGTH, Roadmap, SkillType
from ..selectors.roadmaps import roadmap_progress, roadmap_view
from .catalog import CatalogSuggestionSerializer, closest_catalog_entries
from .deconstructions import CATALOG_ENTRY_HELP, SKILL_TYPE_HELP
from .milestones import (
    LOCKED_HELP,
    WAITING_FOR_HELP,
    MilestoneProgressSerializer,
    PrerequisiteSerializer,
    waiting_for_data,
)


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
    """PUT replaces: the title is required (a bodiless PUT is a 400); PATCH changes what it names."""

    title = serializers.CharField(max_length=255)
    description = serializers.CharField(max_length=DESCRIPTION_MAX_LENGTH, required=False, allow_blank=True)
    archived = serializers.BooleanField(
        required=False, help_text="true archives (hidden from the default list), false restores."
    )
