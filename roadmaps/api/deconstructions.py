"""POST and read deconstructions: a goal (or a posted plan) broken into levels and milestones."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.response import Response

from accounts.scopes import scope_rules

from .. import examples
from ..models import SkillDeconstruction
from ..serializers.deconstructions import (
    DeconstructionCreatedSerializer,
    DeconstructionInputSerializer,
    DeconstructionSerializer,
)
from ..services.goals import deconstruction_create
from .common import ERRORS, OwnedQuerysetMixin


class DeconstructionViewSet(
    OwnedQuerysetMixin, mixins.CreateModelMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):  # fmt: skip
    """A goal deconstructed into levels, milestones and do-this-now prompts."""

    key_scopes = scope_rules(read=("list", "retrieve"), write=("create",))

    queryset = SkillDeconstruction.objects.none()
    serializer_class = DeconstructionSerializer
    filterset_fields = ["skill_type"]

    def base_queryset(self):
        return SkillDeconstruction.objects.order_by("-created_at")

    @extend_schema(
        request=DeconstructionInputSerializer,
        responses={
            201: DeconstructionCreatedSerializer,
            400: OpenApiResponse(ERRORS, "Field errors; plan errors keyed by JSON path.", [examples.BAD_PLAN]),
        },
        examples=[examples.FROM_A_GOAL, examples.FROM_POSTED_DATA],
    )
    def create(self, request, *args, **kwargs):
        given = DeconstructionInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        fields = given.validated_data
        deconstruction, warnings = deconstruction_create(
            owner=request.user,
            user_query=fields["user_query"],
            skill_type=fields.get("skill_type", ""),
            skill_name=fields.get("skill_name", ""),
            data=fields.get("deconstruction_data"),
            catalog_entry=fields.get("catalog_entry", ""),
        )
        deconstruction.warnings = warnings
        return Response(DeconstructionCreatedSerializer(deconstruction).data, status=status.HTTP_201_CREATED)
