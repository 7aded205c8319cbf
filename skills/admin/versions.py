"""What a skill page shows of its versions — the columns of each, the files with their sizes and
modes, the scan's findings and their acknowledgement (a page of its own), any two versions
compared — and the versions' own list and pages."""

from __future__ import annotations

from collections.abc import Iterable

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from ..models import Severity, Skill, SkillVersion, SkillVersionFile, VersionFinding
from ..selectors.registry import RollbackComparison, version_files, versions_with_usage
from ..selectors.versions import versions_compare, versions_in_full
from ..services.bundles import SKILL_MD, file_mode
from ..services.registry import skill_version_acknowledge
from .common import percent, short_sha, short_time, truncated

NO_FILES = "SKILL.md only."


def version_size(version: SkillVersion) -> int:
    """SKILL.md and the files, in bytes (`files_size` annotated by versions_with_files)."""
    return len(version.content.encode("utf-8")) + version.files_size


def files_table(version: SkillVersion, files: Iterable[SkillVersionFile]) -> str:
    """SKILL.md and each file: path, size, mode, sha256; the total on the last line."""
    files, skill_md_size = list(files), len(version.content.encode("utf-8"))
    rows = [(SKILL_MD, skill_md_size, False, version.sha256)]
    rows += [(file.path, file.size, file.executable, file.sha256) for file in files]
    total = sum(size for _path, size, _executable, _sha in rows)
    rows = [(path, filesizeformat(size), f"{file_mode(x):o}", short_sha(sha)) for path, size, x, sha in rows]
    return format_html(
        '<table class="version-files"><thead><tr><th>Path</th><th>Size</th><th>Mode</th><th>sha256</th></tr></thead>'
        "<tbody>{}</tbody><tfoot><tr><th>{} file(s)</th><td>{}</td><td></td><td></td></tr></tfoot></table>",
        format_html_join("", "<tr><td><code>{}</code></td><td>{}</td><td><code>{}</code></td><td>{}</td></tr>", rows),
        len(rows),
        filesizeformat(total),
    )


class VersionFilesColumn:
    """The inline's and the versions list's column: how many files a version has and their size."""

    @admin.display(description="Files")
    def files_summary(self, version: SkillVersion) -> str:
        if not version.file_count:
            return f"{NO_FILES} {filesizeformat(version_size(version))}"
        return f"SKILL.md + {version.file_count} file(s), {filesizeformat(version_size(version))}"


def comparison_rows(comparison: RollbackComparison) -> list[tuple[str, dict]]:
    """The rollback page's table: the current version, then the one rolled back to."""
    pairs = [("current", comparison.current)] if comparison.current else []
    pairs.append(("after the rollback", comparison.target))
    return [(label, {"version": version.version, "uses": f"{version.uses:,}",
                     "rate": percent(comparison.rate(version)) if version.uses else "no uses"})
            for label, version in pairs]  # fmt: skip


class VersionColumns:
    """The columns a version shows in the skill's inline and in the versions list."""

    @admin.display(description="sha256")
    def sha(self, version: SkillVersion) -> str:
        return short_sha(version.sha256)

    @admin.display(description="Created", ordering="created_at")
    def created(self, version: SkillVersion) -> str:
        return short_time(version.created_at, date_only=True)

    @admin.display(description="Author", ordering="created_by__username")
    def author(self, version: SkillVersion) -> str:
        return version.created_by.get_username() if version.created_by else "—"

    @admin.display(description="Changelog")
    def changelog_text(self, version: SkillVersion) -> str:
        return truncated(version.changelog, 32)

    @admin.display(description="Uses", ordering="uses")
    def uses(self, version: SkillVersion) -> str:
        return f"{version.uses:,}"

    @admin.display(description="Success", ordering="successes")
    def version_success(self, version: SkillVersion) -> str:
        return percent(version.successes / version.uses) if version.uses else "—"

    @admin.display(description="")
    def rollback(self, version: SkillVersion) -> str:
        if version.is_current:
            return "current"
        if version.held:
            return "held"
        url = reverse("admin:skills_skill_rollback", args=[version.skill_id, version.pk])
        return format_html('<a class="button" href="{}">Roll back…</a>', url)


@admin.register(SkillVersion)
class SkillVersionAdmin(VersionColumns, admin.ModelAdmin):
    # sha256 and author are on each version's page: the list keeps what tells versions apart at a glance.
    list_display = ["skill_name", "version", "rollback", "current", "created", "changelog_text", "uses",
                    "version_success"]  # fmt: skip
    list_filter = ["is_current"]
    search_fields = ["skill__skill_id", "version", "changelog"]
    list_select_related = ["skill", "created_by"]
    raw_id_fields = ["skill", "created_by"]
    readonly_fields = ["sha256", "is_current", "created_at", "folder", "scan_findings", "acknowledged"]

    def get_queryset(self, request):
        return versions_with_usage(super().get_queryset(request))

    @admin.display(description="Files")
    def folder(self, version: SkillVersion) -> str:
        return files_table(version, version_files(version)) if version.pk else "—"

    @admin.display(description="Findings of the scan")
    def scan_findings(self, version: SkillVersion) -> str:
        return findings_table(version.findings.all()) if version.pk else "—"

    @admin.display(description="Acknowledgement")
    def acknowledged(self, version: SkillVersion) -> str:
        return acknowledgement(version) if version.pk else "—"

    @admin.display(description="Skill", ordering="skill_id")
    def skill_name(self, version: SkillVersion) -> str:
        return truncated(version.skill_id, 30)

    @admin.display(description="Current", boolean=True, ordering="is_current")
    def current(self, version: SkillVersion) -> bool:
        return version.is_current


SEVERITY_COLOURS = {Severity.HIGH: "#ba2121", Severity.MEDIUM: "#b36b00", Severity.LOW: "#666"}
ACKNOWLEDGED = "Acknowledged the findings of {version}: {reason}"
MADE_CURRENT = " It is the current version now."


def findings_table(findings: Iterable[VersionFinding]) -> str:
    """Each finding: severity, file and line, rule (and its tool), what it means, the line itself."""
    rows = [
        (SEVERITY_COLOURS[f.severity], f.get_severity_display(), f.path, f.line, f.rule, f.tool, f.message, f.excerpt)
        for f in findings
    ]
    if not rows:
        return "No findings."
    return format_html(
        '<table class="version-findings"><thead><tr><th>Severity</th><th>Where</th><th>Rule</th><th>What</th>'
        "<th>Line</th></tr></thead><tbody>{}</tbody></table>",
        format_html_join(
            "",
            '<tr><td><strong style="color:{}">{}</strong></td><td><code>{}:{}</code></td><td>{} <span class="help">'
            "({})</span></td><td>{}</td><td><code>{}</code></td></tr>",
            rows,
        ),
    )


def acknowledgement(version: SkillVersion) -> str:
    if not version.high_findings:
        return "Nothing to acknowledge."
    if version.acknowledged_at is None:
        return "Held back: not acknowledged."
    by = version.acknowledged_by.get_username() if version.acknowledged_by else "a deleted user"
    return format_html("By {} at {}: {}", by, short_time(version.acknowledged_at), version.acknowledge_reason)


class FindingsColumn:
    """The inline's column: the version's high findings and whether they hold it back."""

    @admin.display(description="Scan")
    def scan(self, version: SkillVersion) -> str:
        if not version.high_findings:
            return "no high finding"
        if version.held:
            url = reverse("admin:skills_skill_acknowledge", args=[version.skill_id, version.pk])
            return format_html(
                '<strong style="color:#ba2121">held: {} high</strong> <a class="button" href="{}">Review…</a>',
                version.high_findings,
                url,
            )
        return f"{version.high_findings} high, acknowledged"


class AcknowledgeForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60, "style": "max-width:100%;box-sizing:border-box"}),
        max_length=2000,
        help_text="Why the findings are acceptable; kept with your name and the time.",
    )
    make_current = forms.BooleanField(required=False, initial=True, label="Make it the current version now")


class CompareForm(forms.Form):
    before = forms.ChoiceField(label="From")
    after = forms.ChoiceField(label="To")

    def __init__(self, data, versions: list[str]):
        super().__init__(data)
        for name in ("before", "after"):
            self.fields[name].choices = [(v, v) for v in versions]


def acknowledge_view(model_admin: admin.ModelAdmin, request: HttpRequest, skill_id: str, version_id: int):
    """The version's findings and a form: the POST records who, when and why, and makes it current."""
    if not model_admin.has_change_permission(request):
        raise PermissionDenied
    version = get_object_or_404(versions_in_full(get_object_or_404(Skill, pk=skill_id)), pk=version_id)
    form = AcknowledgeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            skill_version_acknowledge(version=version, acknowledged_by=request.user, **form.cleaned_data)
        except ValidationError as error:
            model_admin.message_user(request, " ".join(error.messages), messages.ERROR)
        else:
            made_current = MADE_CURRENT if form.cleaned_data["make_current"] else ""
            message = ACKNOWLEDGED.format(version=version.version, reason=form.cleaned_data["reason"]) + made_current
            model_admin.message_user(request, message)
        return HttpResponseRedirect(reverse("admin:skills_skill_change", args=[skill_id]))
    context = {
        **model_admin.admin_site.each_context(request),
        "title": f"Findings of {skill_id} {version.version}",
        "opts": model_admin.model._meta,
        "skill": version.skill,
        "version": version,
        "current": version.skill.versions.filter(is_current=True).first(),
        "findings": findings_table(version.findings.all()),
        "acknowledgement": acknowledgement(version),
        "form": form,
    }
    return TemplateResponse(request, "admin/skills/skill/acknowledge.html", context)


def compare_view(model_admin: admin.ModelAdmin, request: HttpRequest, skill_id: str):
    """Any two versions: the diff of SKILL.md, the files added, removed, changed or whose mode changed,
    and both versions' findings. Without a choice: the two newest versions."""
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    skill = get_object_or_404(Skill, pk=skill_id)
    versions = {version.version: version for version in versions_in_full(skill).order_by("created_at", "id")}
    names = list(versions)
    newest_two = names[-2:] if len(names) > 1 else names * 2
    default = dict(zip(("before", "after"), newest_two, strict=False))
    form = CompareForm(request.GET if "before" in request.GET else default, names[::-1])
    comparison = None
    if names and form.is_valid():
        before, after = versions[form.cleaned_data["before"]], versions[form.cleaned_data["after"]]
        comparison = versions_compare(before, after)
    context = {
        **model_admin.admin_site.each_context(request),
        "title": f"Compare versions of {skill_id}",
        "opts": model_admin.model._meta,
        "skill": skill,
        "form": form,
        "comparison": comparison,
        "sides": [
            (version, files_table(version, version.file_list), findings_table(version.findings.all()))
            for version in ((comparison.before, comparison.after) if comparison else ())
        ],
    }
    return TemplateResponse(request, "admin/skills/skill/compare.html", context)
