"""Deconstructions: the goal or plan posted, and the deconstruction answered."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from skillsite.serializers import StrictTypes

from ..choices import ActivityType
from ..models import SkillDeconstruction, SkillType
from ..plan import (
    DIFFICULTIES,
    ID_MAX_LENGTH,
    LEVEL_KEYS,
    LEVEL_MAX_MILESTONES,
    MILESTONE_MAX_PREREQUISITES,
    MILESTONE_MAX_SKILLS,
    MINUTES_MAX,
    PLAN_KEYS,
    PLAN_MAX_BYTES,
    PLAN_MAX_LEVELS,
    REPS_MAX,
    SETS_MAX,
    SKILL_ID_PATTERN,
    TASK_KEYS,
    TEXT_MAX_LENGTHS,
    TOTAL_MINUTES_MAX,
)
from .catalog import CatalogSuggestionSerializer, closest_catalog_entries

SKILL_TYPE_HELP = "Optional: a catalog match brings its own kind; other goals are guessed from their words."
CATALOG_ENTRY_HELP = "Optional: start this catalog plan (an id from /api/plan-catalog/) instead of matching the goal."


def _text(key: str) -> dict:
    return {"type": "string", "minLength": 1, "maxLength": TEXT_MAX_LENGTHS[key]}


def _count(maximum: int) -> dict:
    return {"type": "integer", "minimum": 1, "maximum": maximum}


def _object(properties: dict, required: list[str]) -> dict:
    return {"type": "object", "properties": properties, "required": required, "additionalProperties": False}


_MILESTONE = _object(
    {
        "id": {"type": "string", "minLength": 1, "maxLength": ID_MAX_LENGTH},
        "title": _text("title"),
        "description": _text("description"),
        "icon": _text("icon"),
        "estimatedTime": {**_count(MINUTES_MAX), "description": "Minutes."},
        "doThisNow": _object(
            {
                "prompt": _text("prompt"),
                "reps": _count(REPS_MAX),
                "sets": _count(SETS_MAX),
                "successCriteria": _text("successCriteria"),
            },
            list(TASK_KEYS),
        ),  # fmt: skip
        "practiceType": {"type": "string", "enum": list(ActivityType.values)},
        "prerequisites": {
            "type": "array",
            "maxItems": MILESTONE_MAX_PREREQUISITES,
            "description": "Milestone ids of this plan.",
            "items": {"type": "string", "minLength": 1, "maxLength": ID_MAX_LENGTH},
        },  # fmt: skip
        "unlocks_skills": {
            "type": "array",
            "maxItems": MILESTONE_MAX_SKILLS,
            "items": {"type": "string", "pattern": SKILL_ID_PATTERN},
            "description": "Agent skills granted on completion: only in plans posted by staff or by an account "
            "with the skills.grant_unlock permission (anyone else: 400).",
        },  # fmt: skip
    },
    ["id", "title", "description", "icon", "estimatedTime", "doThisNow"],
)
PLAN_SCHEMA = _object(
    {
        "levels": {
            "type": "array",
            "minItems": 1,
            "maxItems": PLAN_MAX_LEVELS,
            "items": _object(
                {
                    "level": {**_count(PLAN_MAX_LEVELS), "description": "1, 2, 3… in order."},
                    "title": _text("title"),
                    "description": _text("description"),
                    "milestones": {
                        "type": "array",
                        "minItems": 1,
                        "maxItems": LEVEL_MAX_MILESTONES,
                        "items": _MILESTONE,
                    },
                },
                list(LEVEL_KEYS),
            ),
        },  # fmt: skip
        "totalEstimatedTime": {**_count(TOTAL_MINUTES_MAX), "description": "The sum of the estimatedTime."},
        "difficulty": {"type": "string", "enum": list(DIFFICULTIES)},
    },
    list(PLAN_KEYS),
)


@extend_schema_field(PLAN_SCHEMA)
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
        f"JSON path). At most {PLAN_MAX_BYTES} bytes as JSON.",
    )


class DeconstructionSerializer(serializers.ModelSerializer):
    is_generic = serializers.BooleanField(read_only=True, help_text="Made by an engine, not an expert plan.")

    class Meta:
        model = SkillDeconstruction
        fields = ["id", "user_query", "skill_name", "skill_type", "origin", "catalog_entry", "is_generic",
                  "deconstruction_data", "created_at", "updated_at"]  # fmt: skip


class DeconstructionCreatedSerializer(DeconstructionSerializer):
    warnings = serializers.ListField(child=serializers.CharField(), read_only=True)
    closest_catalog_entries = serializers.SerializerMethodField()

    class Meta(DeconstructionSerializer.Meta):
        fields = [*DeconstructionSerializer.Meta.fields, "warnings", "closest_catalog_entries"]

    @extend_schema_field(CatalogSuggestionSerializer(many=True))
    def get_closest_catalog_entries(self, deconstruction: SkillDeconstruction) -> list[dict]:
        return closest_catalog_entries(deconstruction)
