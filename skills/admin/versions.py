"""What a skill page shows of its versions' folders: the files with their sizes and modes."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib import admin
from django.template.defaultfilters import filesizeformat
from django.utils.html import format_html, format_html_join

from ..models import SkillVersion, SkillVersionFile
from ..services.bundles import SKILL_MD, file_mode
from .common import short_sha

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
