"""Deconstructions: the goal or plan posted, and the deconstruction answered."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from skillsite.serializers import StrictTypes

from ..models import SkillDeconstruction, SkillType
from .catalog import CatalogSuggestionSerializer, closest_catalog_entries

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
