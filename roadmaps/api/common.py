"""Pieces every roadmaps viewset shares: the error shape, the owner scoping, file downloads."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from ..selectors.export import download_name

READ_ACTIONS = {"list", "retrieve", "progress"}
ERRORS = OpenApiTypes.OBJECT  # {field or JSON path: [messages]}


class OwnedQuerysetMixin:
    """The models' scoping rule (`roadmaps.models.LearnerQuerySet`): reads see what the caller may
    read (staff: everyone's), writes go through the caller's own objects only."""

    def get_queryset(self):
        queryset = self.base_queryset()
        user = self.request.user
        return queryset.visible_to(user) if self.action in READ_ACTIONS else queryset.for_learner(user)


class ExportMixin:
    """Exports are files: a Content-Disposition with a file name. Anything else these actions
    answer (401, 404, a bad ?format=, OPTIONS) keeps the API's JSON whatever format was asked for."""

    def as_download(self, response: Response, title: str) -> Response:
        response["Content-Disposition"] = (
            f'attachment; filename="{download_name(title, self.request.accepted_renderer.format)}"'
        )
        return response

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        not_a_file = isinstance(response, Response) and not response.has_header("Content-Disposition")
        if not_a_file and not isinstance(response.accepted_renderer, JSONRenderer):
            response.accepted_renderer, response.accepted_media_type = JSONRenderer(), JSONRenderer.media_type
        return response
