"""A version's files besides SKILL.md, as written to the registry and served in its bundle.

A file keeps its path, bytes and whether it is executable, exactly as found in the skill's folder:
the bundle and the pull client restore the mode, so a script outside `scripts/` stays runnable and
a plain file inside it does not become one. Files are hashed and copied in chunks, so a large
asset is never held in memory whole while the folder is read.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

SKILL_MD = "SKILL.md"
CHUNK_BYTES = 1024 * 1024
EXECUTABLE_MODE = 0o755
PLAIN_MODE = 0o644


def file_mode(executable: bool) -> int:
    """The one mode a file is written with: the registry keeps 'executable or not', nothing finer."""
    return EXECUTABLE_MODE if executable else PLAIN_MODE


@dataclass(frozen=True)
class BundleFile:
    """One file of a version's folder; `source` is its bytes or the file on disk they are read from."""

    path: str
    size: int
    sha256: str
    executable: bool
    source: bytes | Path

    @classmethod
    def from_bytes(cls, path: str, data: bytes, *, executable: bool = False) -> BundleFile:
        return cls(path, len(data), hashlib.sha256(data).hexdigest(), executable, data)

    @classmethod
    def from_disk(cls, folder: Path, file: Path) -> BundleFile:
        digest = hashlib.sha256()
        with file.open("rb") as stream:
            while chunk := stream.read(CHUNK_BYTES):
                digest.update(chunk)
        status = file.stat()
        return cls(
            file.relative_to(folder).as_posix(), status.st_size, digest.hexdigest(), bool(status.st_mode & 0o111), file
        )

    @property
    def mode(self) -> int:
        return file_mode(self.executable)

    def open(self) -> BinaryIO:
        return io.BytesIO(self.source) if isinstance(self.source, bytes) else self.source.open("rb")

    def read(self) -> bytes:
        with self.open() as stream:
            return stream.read()


def bundle_files(files: Iterable[BundleFile] | Mapping[str, bytes] | None) -> list[BundleFile]:
    """Files sorted by path; a mapping of path → bytes is a folder of plain (non-executable) files."""
    if isinstance(files, Mapping):
        files = [BundleFile.from_bytes(path, data) for path, data in files.items()]
    return sorted(files or [], key=lambda file: file.path)


def bundle_digest(content: str, files: Iterable[BundleFile]) -> str:
    """The digest of a version's SKILL.md and files with their modes (empty without files): the
    bundle's ETag. Each line is `path NUL sha256 NUL mode`, sorted by path; the pull client
    computes the same from a lockfile (clients/skillsite_pull.py), so keep the two in step."""
    files = list(files)
    if not files:
        return ""
    lines = {SKILL_MD: (hashlib.sha256(content.encode("utf-8")).hexdigest(), PLAIN_MODE)}
    lines.update({file.path: (file.sha256, file.mode) for file in files})
    digest = hashlib.sha256()
    for path, (sha256, mode) in sorted(lines.items()):
        digest.update(f"{path}\0{sha256}\0{mode:o}\n".encode())
    return digest.hexdigest()
