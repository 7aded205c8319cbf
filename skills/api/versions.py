"""A version's folder, scan findings and acknowledgement, and two versions compared.

`GET /api/skills/{id}/versions/{version}/` (files, findings, acknowledgement),
`POST …/versions/{version}/acknowledge/` (staff: accept the high findings, say why) and
`GET /api/skills/{id}/compare/?from=&to=`. What a version holds is the skill's content: a caller
reads it only when they may load the skill (staff always), as with /content/ and /bundle/.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.permissions import IsAdminUser, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.permissions import KeyScopeAllows

from ..models import Skill, SkillVersion, SkillVersionFile, VersionFinding
from ..selectors.versions import versions_compare, versions_in_full
from ..services.bundles import file_mode
from ..services.registry import is_skill_unlocked, may_read_content, skill_version_acknowledge

COMPARE_NEEDS_BOTH = "Name both versions: ?from=<version>&to=<version>."
VERSION_NAME = r"^[0-9A-Za-z.+-]+$"
VERSION_PATH = r"versions/(?P<version>[0-9A-Za-z.+-]+)"


class VersionFileSerializer(serializers.ModelSerializer):
    mode = serializers.SerializerMethodField()

    class Meta:
        model = SkillVersionFile
        fields = ["path", "size", "sha256", "executable", "mode"]

    def get_mode(self, file: SkillVersionFile) -> str:
        return f"{file_mode(file.executable):o}"


class FindingSerializer(serializers.ModelSerializer):
    class Meta:
        model = VersionFinding
        fields = ["path", "line", "rule", "tool", "severity", "message", "excerpt"]


class VersionInFullSerializer(serializers.ModelSerializer):
    files = VersionFileSerializer(source="file_list", many=True)
    findings = FindingSerializer(many=True)
    held = serializers.BooleanField(help_text="High findings not acknowledged: it cannot become current.")
    acknowledged_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    total_size = serializers.SerializerMethodField(help_text="SKILL.md and the files, in bytes.")

    class Meta:
        model = SkillVersion
        fields = ["version", "is_current", "held", "sha256", "bundle_sha256", "total_size", "files", "findings",
                  "high_findings", "acknowledged_by", "acknowledged_at", "acknowledge_reason",
                  "created_at"]  # fmt: skip

    def get_total_size(self, version: SkillVersion) -> int:
        return len(version.content.encode("utf-8")) + sum(file.size for file in version.file_list)


class AcknowledgeSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, help_text="Why the findings are acceptable.")
    make_current = serializers.BooleanField(default=True)


class FileChangeSerializer(serializers.Serializer):
    path = serializers.CharField()
    change = serializers.CharField(source="kind", help_text="added, removed, changed, mode changed.")
    modes = serializers.CharField(help_text="e.g. '644 → 755'.")


COMPARISON = inline_serializer(
    "VersionComparison",
    {
        "from": VersionInFullSerializer(),
        "to": VersionInFullSerializer(),
        "skill_md_diff": serializers.ListField(child=serializers.CharField(), help_text="Unified diff lines."),
        "files": FileChangeSerializer(many=True),
    },
)


class VersionActions:
    """SkillViewSet's version actions (a mixin: they share its lookup)."""

    def _readable(self, request: Request) -> Skill:
        skill = self.get_object()
        if not may_read_content(request.user, skill):
            raise PermissionDenied(is_skill_unlocked(request.user, skill).reason)
        return skill

    @extend_schema(responses=VersionInFullSerializer)
    @action(detail=True, methods=["get"], url_path=VERSION_PATH, filter_backends=[], pagination_class=None)
    def version(self, request, skill_id=None, version=None):
        """One version: its files (size, sha256, mode), the scan's findings and the acknowledgement."""
        found = get_object_or_404(versions_in_full(self._readable(request)), version=version)
        return Response(VersionInFullSerializer(found).data)

    @extend_schema(request=AcknowledgeSerializer, responses=VersionInFullSerializer)
    @action(
        detail=True,
        methods=["post"],
        url_path=f"{VERSION_PATH}/acknowledge",
        permission_classes=[IsAuthenticated, KeyScopeAllows, IsAdminUser],
    )
    def acknowledge(self, request, skill_id=None, version=None):
        """Staff accept the version's high findings (who, when, why are kept); it becomes current
        unless make_current is false."""
        skill = self.get_object()
        target = get_object_or_404(SkillVersion, skill=skill, version=version)
        data = AcknowledgeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        skill_version_acknowledge(version=target, acknowledged_by=request.user, **data.validated_data)
        return Response(VersionInFullSerializer(versions_in_full(skill).get(pk=target.pk)).data, status.HTTP_200_OK)

    @extend_schema(
        parameters=[
            OpenApiParameter(name, str, required=True, allow_blank=False, pattern=VERSION_NAME)
            for name in ("from", "to")
        ],
        responses=COMPARISON,
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def compare(self, request, skill_id=None):
        """Two versions compared: the diff of SKILL.md, the files added, removed, changed or whose
        mode changed, and both versions' findings."""
        wanted = [request.query_params.get("from"), request.query_params.get("to")]
        if not all(wanted):
            raise ValidationError({"from": [COMPARE_NEEDS_BOTH]})
        versions = versions_in_full(self._readable(request))
        before, after = (get_object_or_404(versions, version=name) for name in wanted)
        comparison = versions_compare(before, after)
        return Response({
            "from": VersionInFullSerializer(before).data,
            "to": VersionInFullSerializer(after).data,
            "skill_md_diff": [line for _kind, line in comparison.skill_md],
            "files": FileChangeSerializer(comparison.files, many=True).data,
        })  # fmt: skip
