"""The plan catalog: the expert plans shipped with the app, listed or ranked for a goal."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import viewsets
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from accounts.scopes import scope_rules
from skillsite.filters import single_value

from ..catalog import DOMAINS, catalog
from ..catalog.matching import rank_entries
from ..models import SkillType
from ..serializers.catalog import CatalogEntryDetailSerializer, CatalogEntrySerializer, CatalogQuerySerializer
from .common import ERRORS


class PlanCatalogViewSet(viewsets.GenericViewSet):
    """The catalog of expert plans shipped with the app, read from files cached in the process:
    no database query. Any signed-in user may read it."""

    key_scopes = scope_rules(read=("list", "retrieve"))

    serializer_class = CatalogEntrySerializer
    filter_backends: list = []
    lookup_value_regex = r"[a-z0-9-]+"

    @extend_schema(
        parameters=[
            OpenApiParameter("domain", str, enum=list(DOMAINS), description="Only this domain."),
            OpenApiParameter("kind", str, enum=list(SkillType.values), description="Only this kind."),
            OpenApiParameter("q", str, description="A goal: entries ranked by how close they are to it."),
        ]
    )
    def list(self, request):
        """Every entry (by domain, then title), or ranked for a goal with `?q=`."""
        params = request.query_params
        given = CatalogQuerySerializer(data={name: single_value(params, name) for name in ("domain", "kind", "q")
                                             if name in params})  # fmt: skip
        given.is_valid(raise_exception=True)
        query = given.validated_data
        entries = sorted(catalog().values(), key=lambda e: (e.domain, e.title))
        if query.get("q"):
            entries = [match.entry for match in rank_entries(query["q"])]
        for field in ("domain", "kind"):
            if field in query:
                entries = [e for e in entries if getattr(e, field) == query[field]]
        page = self.paginate_queryset(entries)
        return self.get_paginated_response(CatalogEntrySerializer(page, many=True).data)

    @extend_schema(responses={200: CatalogEntryDetailSerializer, 404: OpenApiResponse(ERRORS, "No such entry.")})
    def retrieve(self, request, pk=None):
        """One entry with its full plan."""
        entry = catalog().get(pk)
        if entry is None:
            raise NotFound()
        return Response(CatalogEntryDetailSerializer(entry).data)
