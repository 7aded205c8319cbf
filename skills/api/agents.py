"""Skills out to agents: what the caller may load, why, and the files themselves.

`GET /api/skills/available/` lists the caller's loadable skills; `…/{id}/access/` says why a
skill is or is not loadable; `…/{id}/content/` serves SKILL.md and `…/{id}/bundle/` a zip of the
version's folder, each with the version's digest as ETag (304 on If-None-Match). Every answer
goes through the one unlock rule, `is_skill_unlocked` (its query form: `available_to`).
"""

from __future__ import annotations

import json
import tempfile
import zipfile
from collections.abc import Callable
from typing import BinaryIO

from django.http import FileResponse, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.http import parse_etags, quote_etag
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import mixins, renderers, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse

from accounts.scopes import scope_rules
from skillsite.metrics import PULL_NOT_MODIFIED, PULL_REQUESTS, PULL_SERVED

from ..models import AgentApiRequest, Skill, SkillVersion
from ..selectors.experiments import Served, versions_served
from ..selectors.registry import skills_available_to
from ..selectors.sessions import agent_sessions_of
from ..services.bundles import SKILL_MD, file_mode
from ..services.registry import HELD_BACK, is_skill_unlocked
from .common import SkillsAPIMixin

NO_CURRENT_VERSION = "{skill} has no published version."
SPOOL_MAX_BYTES = 1024 * 1024
FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # every entry's time: the same version always zips to the same bytes


class _PassThroughRenderer(renderers.BaseRenderer):
    """Lets a client ask for the file's type (Accept); errors are still written as JSON."""

    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, bytes):
            return data
        response = (renderer_context or {}).get("response")
        if response is not None:
            response["Content-Type"] = "application/json"  # an error's body, in the API's one error shape
        return json.dumps(data).encode()


class MarkdownRenderer(_PassThroughRenderer):
    media_type = "text/markdown"
    format = "md"


class ZipRenderer(_PassThroughRenderer):
    media_type = "application/zip"
    format = "zip"


class AvailableSkillSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="skill_id")
    version = serializers.SerializerMethodField()
    sha256 = serializers.SerializerMethodField(help_text="The SKILL.md's digest: the content's ETag.")
    bundle_sha256 = serializers.SerializerMethodField(
        help_text="The folder's digest (the bundle's ETag); null when the version is SKILL.md alone."
    )
    content_url = serializers.SerializerMethodField()
    bundle_url = serializers.SerializerMethodField(help_text="Null when the version is SKILL.md alone.")

    class Meta:
        model = Skill
        fields = ["name", "display_name", "description", "tier", "version", "sha256", "bundle_sha256"]
        fields += ["content_url", "bundle_url"]

    def _current(self, skill: Skill) -> SkillVersion:
        return self.context["served"][skill.skill_id].version  # the view asked versions_served for the page

    def get_version(self, skill: Skill) -> str:
        return self._current(skill).version

    def get_sha256(self, skill: Skill) -> str:
        return self._current(skill).sha256

    def get_bundle_sha256(self, skill: Skill) -> str | None:
        return self._current(skill).bundle_sha256 or None

    def get_content_url(self, skill: Skill) -> str:
        return reverse("skill-content", args=[skill.skill_id], request=self.context["request"])

    def get_bundle_url(self, skill: Skill) -> str | None:
        if not self._current(skill).bundle_sha256:
            return None
        return reverse("skill-bundle", args=[skill.skill_id], request=self.context["request"])


EXPERIMENT_ARM = inline_serializer(
    "SkillAccessExperiment",
    {
        "id": serializers.IntegerField(),
        "name": serializers.CharField(),
        "arm": serializers.CharField(help_text="control, or treatment 1, 2…"),
        "version": serializers.CharField(help_text="The version this arm serves."),
        "counted": serializers.BooleanField(help_text="False when the caller is excluded (served the control)."),
    },
    allow_null=True,
)
ACCESS = inline_serializer(
    "SkillAccess",
    {
        "skill_id": serializers.CharField(),
        "unlocked": serializers.BooleanField(),
        "reason": serializers.CharField(),
        "experiment": EXPERIMENT_ARM,
    },
)
VERSION_PARAMETER = OpenApiParameter("version", str, description="A version of the skill (default: the current one).")


def _file_schema(media_type: str, body: OpenApiTypes, *, etag: str):
    """The schema of an endpoint serving one of a version's files: the file, 304 when If-None-Match
    holds its ETag (`etag` says what the ETag is), 403 when the skill is locked or disabled."""
    return extend_schema(
        parameters=[VERSION_PARAMETER],
        responses={
            (200, media_type): body,
            304: OpenApiResponse(description=f"Not modified: If-None-Match holds the ETag ({etag})."),
            403: OpenApiResponse(description="Locked or disabled for the caller; `detail` says why."),
        },
    )


def _not_modified(request: Request, etag: str) -> bool:
    # If-None-Match compares weakly (RFC 9110): W/"x" matches "x".
    wanted = {tag.removeprefix("W/") for tag in parse_etags(request.headers.get("If-None-Match", ""))}
    return "*" in wanted or etag in wanted


def _zip_add(archive: zipfile.ZipFile, path: str, executable: bool, data: bytes) -> None:
    info = zipfile.ZipInfo(path, date_time=FIXED_ZIP_TIME)
    info.external_attr = (0o100000 | file_mode(executable)) << 16  # a regular file with the mode it was synced with
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, data)


def _zip(version: SkillVersion) -> BinaryIO:
    """The bundle, spooled to disk past SPOOL_MAX_BYTES and streamed from there: one file's bytes
    are in memory at a time, never the whole folder or the whole zip."""
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_MAX_BYTES)
    with zipfile.ZipFile(spool, "w", zipfile.ZIP_DEFLATED) as archive:
        _zip_add(archive, SKILL_MD, False, version.content.encode("utf-8"))
        for file in version.files.order_by("path").iterator(chunk_size=1):
            _zip_add(archive, file.path, file.executable, bytes(file.content))
    spool.seek(0)
    return spool


class AgentSkillActions:
    """The agents' actions of SkillViewSet (a mixin: they share its lookup and permissions)."""

    def _loadable_version(self, request: Request) -> SkillVersion:
        """The requested (or current) version of a skill the caller may load; 403 naming why not."""
        skill = self.get_object()
        access = is_skill_unlocked(request.user, skill)
        if not access:
            raise PermissionDenied(access.reason)
        wanted = request.query_params.get("version")
        if wanted:
            version = get_object_or_404(SkillVersion, skill=skill, version=wanted)
            if version.held and not request.user.is_staff:
                raise PermissionDenied(HELD_BACK.format(version=version, count=version.high_findings))
            return version
        served = versions_served([skill], request.user).get(skill.skill_id)
        if served is None:
            raise PermissionDenied(NO_CURRENT_VERSION.format(skill=skill.skill_id))
        return served.version

    @extend_schema(responses=AvailableSkillSerializer(many=True))
    @action(detail=False, methods=["get"], filter_backends=[])
    def available(self, request):
        """The skills the caller may load: enabled, and foundational or unlocked for the caller."""
        page = self.paginate_queryset(skills_available_to(request.user))
        context = {**self.get_serializer_context(), "served": versions_served(page, request.user)}
        serializer = AvailableSkillSerializer(page, many=True, context=context)
        PULL_REQUESTS.labels("available", PULL_SERVED).inc()
        return self.get_paginated_response(serializer.data)

    @extend_schema(responses=ACCESS)
    @action(detail=True, methods=["get"])
    def access(self, request, skill_id=None):
        """Whether the caller may load the skill, and why: foundational, unlocked (when, by whom), locked, disabled."""
        skill = self.get_object()
        access = is_skill_unlocked(request.user, skill)
        served = versions_served([skill], request.user).get(skill.skill_id) if access else None
        body = {"skill_id": skill.skill_id, "unlocked": access.unlocked, "reason": access.reason}
        return Response({**body, "experiment": _experiment_of(served)})

    @_file_schema("text/markdown", OpenApiTypes.STR, etag="the SKILL.md's sha256")
    @action(detail=True, methods=["get"], renderer_classes=[renderers.JSONRenderer, MarkdownRenderer])
    def content(self, request, skill_id=None):
        """The SKILL.md of the current version (or ?version=), with its sha256 as ETag."""
        version = self._loadable_version(request)
        return _file_response(
            request, version.sha256, lambda: version.content, "text/markdown; charset=utf-8", endpoint="content"
        )

    @_file_schema("application/zip", OpenApiTypes.BINARY, etag="the folder's digest")
    @action(detail=True, methods=["get"], renderer_classes=[renderers.JSONRenderer, ZipRenderer])
    def bundle(self, request, skill_id=None):
        """The version's folder as a zip: SKILL.md and its files (scripts/, references/, assets/)."""
        version = self._loadable_version(request)
        response = _file_response(
            request,
            version.bundle_sha256 or version.sha256,
            lambda: _zip(version),
            "application/zip",
            endpoint="bundle",
        )
        response["Content-Disposition"] = f'attachment; filename="{version.skill_id}-{version.version}.zip"'
        return response


def _experiment_of(served: Served | None) -> dict | None:
    if served is None or served.assignment is None:
        return None
    experiment, arm = served.assignment.experiment, served.assignment.arm
    return {
        "id": experiment.pk,
        "name": experiment.name,
        "arm": arm.label,
        "version": arm.version.version,
        "counted": served.assignment.counted,
    }


def _file_response(
    request: Request, digest: str, body: Callable[[], str | BinaryIO], content_type: str, *, endpoint: str
) -> HttpResponse:
    """The body (text, or a file streamed in blocks) with the digest as ETag; 304 without building it."""
    etag = quote_etag(digest)
    if _not_modified(request, etag):
        response = HttpResponse(status=304)
    elif isinstance(content := body(), str):
        response = HttpResponse(content, content_type=content_type)
    else:
        response = FileResponse(content, content_type=content_type)
    PULL_REQUESTS.labels(endpoint, PULL_NOT_MODIFIED if response.status_code == 304 else PULL_SERVED).inc()
    response["ETag"] = etag
    return response


class AgentSessionSerializer(serializers.Serializer):
    session_id = serializers.CharField()
    api_requests = serializers.IntegerField(help_text="Model requests that succeeded (api_request).")
    api_errors = serializers.IntegerField(help_text="Model requests that failed (api_error); they cost nothing.")
    input_tokens = serializers.IntegerField()
    output_tokens = serializers.IntegerField()
    cache_read_tokens = serializers.IntegerField()
    cache_creation_tokens = serializers.IntegerField()
    cost_usd = serializers.DecimalField(max_digits=18, decimal_places=6)
    first_request_at = serializers.DateTimeField()
    last_request_at = serializers.DateTimeField()


class AgentSessionViewSet(SkillsAPIMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The caller's agent sessions (from Claude Code's api_request events): requests, tokens and cost."""

    key_scopes = scope_rules(read=("list", "retrieve"))

    queryset = AgentApiRequest.objects.none()  # for the schema; get_queryset scopes to the caller
    serializer_class = AgentSessionSerializer
    lookup_field = "session_id"
    lookup_value_regex = r"[^/]+"
    filterset_class = None
    ordering_fields: list = []

    def get_queryset(self):
        return agent_sessions_of(self.request.user)
