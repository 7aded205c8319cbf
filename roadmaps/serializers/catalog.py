"""The plan catalog's shapes: entries as listed and in full, its query, and the expert plans
offered instead of a generic plan."""

from __future__ import annotations

from rest_framework import serializers

from ..catalog import DOMAINS
from ..models import ActivityType, SkillDeconstruction, SkillType


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


def closest_catalog_entries(deconstruction: SkillDeconstruction | None) -> list[dict]:
    """The expert plans offered instead of a generic plan (matched in-process, no query)."""
    from ..catalog.matching import closest_entries

    if deconstruction is None or not deconstruction.is_generic:
        return []
    return [{"id": m.entry.id, "title": m.entry.title} for m in closest_entries(deconstruction.user_query)]
