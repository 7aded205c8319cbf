#!/usr/bin/env python3
"""Pulls the skills you may load from skillsite into a folder such as ~/.claude/skills/.

    python skillsite_pull.py --url https://skills.example.org [--dest ~/.claude/skills]
    python skillsite_pull.py --url … --frozen      # install exactly what skills.lock names
    python skillsite_pull.py --verify              # check the folder against skills.lock (no network)
    (the API token — a `pull` key — in SKILLSITE_TOKEN, or --token)

Standard library only. Each available skill is fetched with the ETag it was last fetched with
(If-None-Match), so only what changed is downloaded: its SKILL.md, or its bundle (a zip of the
folder, with each file's mode) when the version has other files.

It owns only what it wrote. The folder's `.skillsite.json` (the manifest) lists, per skill, each
file it wrote with its sha256 and mode. An update or a removal touches only those files: a file
you added inside a skill's folder stays, and a file you changed is not overwritten or deleted
without --force; it says which it kept. A folder it did not create is never touched.

`skills.lock` records what is installed: each skill's version, the sha256 of its SKILL.md and of
its bundle, and its files. `--frozen` installs exactly the lock (and fails, changing nothing, when
the server cannot serve a locked version); `--verify` exits 1 on any difference between the
installed folders and the lock: a changed, missing or extra file.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path, PurePosixPath

MANIFEST = ".skillsite.json"
LOCKFILE = "skills.lock"
SKILL_MD = "SKILL.md"
TIMEOUT_SECONDS = 30
CHUNK_BYTES = 1024 * 1024
EXECUTABLE, PLAIN = "755", "644"  # the two modes the registry keeps, as in the lock


class PullError(Exception):
    pass


# --- the server ------------------------------------------------------------------------------------


def _request(url: str, token: str, etag: str | None = None):
    headers = {"Authorization": f"Token {token}", "Accept": "*/*"}
    if etag:
        headers["If-None-Match"] = etag
    try:
        return urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=TIMEOUT_SECONDS)
    except urllib.error.HTTPError as error:
        if error.code == 304:
            return None
        raise PullError(f"{url}: {error.code} {error.read().decode(errors='replace')[:300]}") from error


def available(base_url: str, token: str) -> list[dict]:
    url, skills = base_url.rstrip("/") + "/api/skills/available/", []
    while url:
        with _request(url, token) as answer:
            page = json.load(answer)
        skills += page["results"]
        url = page.get("next")
    return skills


def _download(url: str, token: str, spool: Path, etag: str | None = None) -> tuple[Path | None, str | None]:
    """The body saved to a file under `spool`, copied in chunks (a bundle is never in memory whole);
    (None, etag) when the server answers 304."""
    answer = _request(url, token, etag)
    if answer is None:
        return None, etag
    with answer, tempfile.NamedTemporaryFile(dir=spool, delete=False) as out:
        shutil.copyfileobj(answer, out, CHUNK_BYTES)
    return Path(out.name), answer.headers.get("ETag")


def _skill_url(base_url: str, name: str, kind: str, version: str | None = None) -> str:
    url = f"{base_url.rstrip('/')}/api/skills/{urllib.parse.quote(name)}/{kind}/"
    return f"{url}?{urllib.parse.urlencode({'version': version})}" if version else url


# --- files and digests -----------------------------------------------------------------------------


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def file_mode(path: Path) -> str:
    return EXECUTABLE if path.stat().st_mode & 0o111 else PLAIN


def bundle_digest(files: dict[str, dict]) -> str | None:
    """The server's bundle digest (skills/services/bundles.py) from a file list that includes
    SKILL.md; None for SKILL.md alone."""
    if set(files) == {SKILL_MD}:
        return None
    digest = hashlib.sha256()
    for path, entry in sorted(files.items()):
        digest.update(f"{path}\0{entry['sha256']}\0{entry['mode']}\n".encode())
    return digest.hexdigest()


def _safe_path(folder: Path, name: str) -> Path:
    relative = PurePosixPath(name)
    if relative.is_absolute() or ".." in relative.parts or not relative.parts:
        raise PullError(f"unsafe path in bundle: {name}")
    return folder.joinpath(*relative.parts)


class Download:
    """One skill version as downloaded: its files (SKILL.md included) with sha256 and mode."""

    def __init__(self, body: Path, kind: str):
        self.body, self.kind, self.files = body, kind, {}
        if kind == "content":
            self.files[SKILL_MD] = {"sha256": sha256_file(body), "mode": PLAIN}
            return
        with zipfile.ZipFile(body) as archive:
            for info in archive.infolist():
                digest = hashlib.sha256()
                with archive.open(info) as stream:
                    while chunk := stream.read(CHUNK_BYTES):
                        digest.update(chunk)
                mode = EXECUTABLE if (info.external_attr >> 16) & 0o111 else PLAIN
                self.files[info.filename] = {"sha256": digest.hexdigest(), "mode": mode}

    def write(self, path: str, target: Path) -> None:
        """Writes one file beside its place, then renames it over: a reader never sees half a file."""
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=target.parent, delete=False, prefix=".skillsite-") as out:
            if self.kind == "content":
                with self.body.open("rb") as source:
                    shutil.copyfileobj(source, out, CHUNK_BYTES)
            else:
                with zipfile.ZipFile(self.body) as archive, archive.open(path) as source:
                    shutil.copyfileobj(source, out, CHUNK_BYTES)
        os.chmod(out.name, int(self.files[path]["mode"], 8))
        os.replace(out.name, target)


def _matches(target: Path, entry: dict) -> bool:
    return target.is_file() and sha256_file(target) == entry["sha256"] and file_mode(target) == entry["mode"]


def _local_files(folder: Path) -> set[str]:
    # __pycache__ is what running a skill's scripts leaves behind, never a file of the skill.
    return {
        path.relative_to(folder).as_posix()
        for path in folder.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and not path.name.startswith(".skillsite-")
    }


def _prune(folder: Path) -> None:
    """Removes the folders left empty, deepest first (the skill's own folder too)."""
    for path in sorted((p for p in folder.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True):
        if not any(path.iterdir()):
            path.rmdir()
    if folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()


class Installer:
    """Writes and removes skills in `dest`, touching only the files the manifest says it wrote."""

    def __init__(self, dest: Path, force: bool):
        self.dest, self.force = dest, force
        self.kept: list[str] = []

    def _keep(self, name: str, path: str, why: str) -> None:
        self.kept.append(f"{name}/{path} ({why})")

    def _not_ours(self, target: Path, owned: dict | None) -> str | None:
        """Why the file at target is not ours to replace or delete (None when it is, or with --force)."""
        if self.force or not target.exists():
            return None
        if owned is None:
            return "not written by skillsite_pull"
        return None if _matches(target, owned) else "changed locally"

    def install(self, name: str, download: Download, owned: dict[str, dict]) -> dict[str, dict]:
        """Brings the skill's folder to the download; returns the files now owned."""
        folder = self.dest / name
        for path, entry in download.files.items():
            target = _safe_path(folder, path)
            if _matches(target, entry):
                continue
            why = self._not_ours(target, owned.get(path))
            if why:
                self._keep(name, path, f"{why}; --force overwrites it")
            else:
                download.write(path, target)
        for path in sorted(owned.keys() - download.files.keys()):
            self._remove_file(name, path, owned[path])
        self._note_foreign(name, set(download.files) | set(owned))
        _prune(folder)
        return dict(download.files)

    def remove(self, name: str, owned: dict[str, dict]) -> None:
        for path in sorted(owned):
            self._remove_file(name, path, owned[path])
        self._note_foreign(name, set(owned))
        _prune(self.dest / name)

    def _remove_file(self, name: str, path: str, owned: dict) -> None:
        target = _safe_path(self.dest / name, path)
        why = self._not_ours(target, owned)
        if why:
            self._keep(name, path, f"{why}; no longer part of the skill, left in place")
        elif target.exists():
            target.unlink()

    def _note_foreign(self, name: str, ours: set[str]) -> None:
        folder = self.dest / name
        if folder.is_dir():
            for path in sorted(_local_files(folder) - ours):
                self._keep(name, path, "your own file, left alone")


# --- the manifest and the lock -----------------------------------------------------------------------


def load_manifest(dest: Path) -> dict[str, dict]:
    """Per skill: version, kind, etag and the files written. A manifest of an older release (no file
    lists) owned whole folders: every file found in them is taken as written by it."""
    path = dest / MANIFEST
    if not path.exists():
        return {}
    data = json.loads(path.read_text())
    if "skills" in data:
        return data["skills"]
    for name, entry in data.items():
        folder = dest / name
        files = _local_files(folder) if folder.is_dir() else set()
        entry["files"] = {f: {"sha256": sha256_file(folder / f), "mode": file_mode(folder / f)} for f in files}
    return data


def save_manifest(dest: Path, skills: dict[str, dict]) -> None:
    (dest / MANIFEST).write_text(json.dumps({"format": 2, "skills": skills}, indent=2, sort_keys=True))


def lock_entry(entry: dict) -> dict:
    files = entry["files"]
    return {
        "version": entry["version"],
        "sha256": files[SKILL_MD]["sha256"],
        "bundle_sha256": bundle_digest(files),
        "files": files,
    }


def save_lock(path: Path, skills: dict[str, dict]) -> None:
    lock = {"lockfile_version": 1, "skills": {name: lock_entry(entry) for name, entry in sorted(skills.items())}}
    path.write_text(json.dumps(lock, indent=2, sort_keys=True) + "\n")


def load_lock(path: Path) -> dict[str, dict]:
    try:
        skills = json.loads(path.read_text())["skills"]
    except (OSError, ValueError, KeyError) as error:
        raise PullError(f"{path}: not a skills.lock ({error})") from error
    for name, entry in skills.items():
        files = entry.get("files", {})
        if SKILL_MD not in files or files[SKILL_MD]["sha256"] != entry.get("sha256"):
            raise PullError(f"{path}: {name}: the SKILL.md listed does not match the locked sha256")
        if bundle_digest(files) != entry.get("bundle_sha256"):
            raise PullError(f"{path}: {name}: the files listed do not match the locked bundle_sha256")
    return skills


# --- the three commands ----------------------------------------------------------------------------


def _fetched(body: Path, kind: str, etag: str | None, url: str) -> Download:
    """The download, checked against the digest the server sent as its ETag."""
    download = Download(body, kind)
    digest = download.files[SKILL_MD]["sha256"] if kind == "content" else bundle_digest(download.files)
    if etag and etag.strip('"').removeprefix("W/").strip('"') != digest:
        raise PullError(f"{url}: what arrived does not match its ETag (an interrupted download?)")
    return download


def _report(installer: Installer, **lists: list[str]) -> dict[str, list[str]]:
    return {**{"downloaded": [], "unchanged": [], "removed": [], "skipped": []}, **lists, "kept": installer.kept}


def pull(*, base_url: str, token: str, dest: Path, force: bool = False, lock: Path | None = None) -> dict:
    """Brings dest in line with the caller's available skills and writes the lock; returns what was
    done to each skill and which files were kept."""
    dest.mkdir(parents=True, exist_ok=True)
    managed, installer = load_manifest(dest), Installer(dest, force)
    done: dict[str, list[str]] = {"downloaded": [], "unchanged": [], "removed": [], "skipped": []}
    skills = available(base_url, token)
    with tempfile.TemporaryDirectory(dir=dest, prefix=".skillsite-spool-") as spool:
        for skill in skills:
            name, kind = skill["name"], "bundle" if skill.get("bundle_url") else "content"
            if (dest / name).exists() and name not in managed:
                done["skipped"].append(name)  # someone's own folder of that name
                continue
            known = managed.get(name, {})
            fresh = known.get("kind") == kind and (dest / name).exists()
            url = skill[f"{kind}_url"]
            body, etag = _download(url, token, Path(spool), known.get("etag") if fresh else None)
            if body is None:
                done["unchanged"].append(name)
                continue
            files = installer.install(name, _fetched(body, kind, etag, url), known.get("files", {}))
            managed[name] = {"etag": etag, "kind": kind, "version": skill["version"], "files": files}
            done["downloaded"].append(name)
    for name in sorted(set(managed) - {skill["name"] for skill in skills}):
        installer.remove(name, managed.pop(name)["files"])
        done["removed"].append(name)
    save_manifest(dest, managed)
    save_lock(lock or dest / LOCKFILE, managed)
    return _report(installer, **done)


def install_frozen(*, base_url: str, token: str, dest: Path, lock: Path, force: bool = False) -> dict:
    """Installs exactly the lock: every locked version is fetched and checked before anything is
    written, so a version the server cannot serve (or serves differently) fails with nothing changed."""
    locked = load_lock(lock)
    dest.mkdir(parents=True, exist_ok=True)
    managed, installer = load_manifest(dest), Installer(dest, force)
    done: dict[str, list[str]] = {"downloaded": [], "unchanged": [], "removed": []}
    with tempfile.TemporaryDirectory(dir=dest, prefix=".skillsite-spool-") as spool:
        downloads = {}
        for name, entry in sorted(locked.items()):
            if (dest / name).exists() and name not in managed:
                raise PullError(f"{dest / name} exists and skillsite_pull did not create it; move it away first")
            if managed.get(name, {}).get("files") == entry["files"] and (dest / name).exists():
                done["unchanged"].append(name)
                continue
            kind = "bundle" if entry["bundle_sha256"] else "content"
            url = _skill_url(base_url, name, kind, entry["version"])
            body, etag = _download(url, token, Path(spool))
            download = _fetched(body, kind, etag, url)
            if download.files != entry["files"]:
                raise PullError(f"{name} {entry['version']}: the server's files differ from the lock")
            downloads[name] = (kind, download)
        for name, (kind, download) in downloads.items():
            owned = managed.get(name, {}).get("files", {})
            files = installer.install(name, download, owned)
            managed[name] = {"etag": None, "kind": kind, "version": locked[name]["version"], "files": files}
            done["downloaded"].append(name)
    for name in sorted(set(managed) - set(locked)):
        installer.remove(name, managed.pop(name)["files"])
        done["removed"].append(name)
    save_manifest(dest, managed)
    return _report(installer, **done)


def verify(*, dest: Path, lock: Path) -> list[str]:
    """Every difference between the installed folders and the lock (empty: they match)."""
    differences = []
    for name, entry in sorted(load_lock(lock).items()):
        folder = dest / name
        if not folder.is_dir():
            differences.append(f"{name}: missing (the whole folder)")
            continue
        for path, wanted in sorted(entry["files"].items()):
            target = _safe_path(folder, path)
            if not target.is_file():
                differences.append(f"{name}/{path}: missing")
            elif sha256_file(target) != wanted["sha256"]:
                differences.append(f"{name}/{path}: changed (sha256 differs from the lock)")
            elif file_mode(target) != wanted["mode"]:
                differences.append(f"{name}/{path}: mode {file_mode(target)}, locked {wanted['mode']}")
        differences += [
            f"{name}/{path}: extra (not in the lock)" for path in sorted(_local_files(folder) - set(entry["files"]))
        ]
    return differences


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="the skillsite, e.g. https://skills.example.org")
    parser.add_argument("--token", default=os.environ.get("SKILLSITE_TOKEN"), help="a pull key (or SKILLSITE_TOKEN)")
    parser.add_argument("--dest", type=Path, default=Path.home() / ".claude" / "skills")
    parser.add_argument("--lock", type=Path, help=f"the lockfile (default: DEST/{LOCKFILE})")
    parser.add_argument("--force", action="store_true", help="overwrite or delete files changed locally too")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--frozen", action="store_true", help="install exactly the lock; fail if it cannot be served")
    mode.add_argument("--verify", action="store_true", help="check the installed folders against the lock")
    args = parser.parse_args(argv)
    dest = args.dest.expanduser()
    lock = (args.lock or dest / LOCKFILE).expanduser()
    if not args.verify and not (args.url and args.token):
        parser.error("--url and an API token (--token or SKILLSITE_TOKEN) are needed")
    try:
        if args.verify:
            return _print_verify(verify(dest=dest, lock=lock))
        if args.frozen:
            report = install_frozen(base_url=args.url, token=args.token, dest=dest, lock=lock, force=args.force)
        else:
            report = pull(base_url=args.url, token=args.token, dest=dest, force=args.force, lock=lock)
    except (PullError, urllib.error.URLError, OSError, ValueError, zipfile.BadZipFile) as error:
        print(f"skillsite_pull: {error}", file=sys.stderr)
        return 1
    for what, names in report.items():
        if names and what != "kept":
            print(f"{what}: {', '.join(names)}")
    for kept in report["kept"]:
        print(f"kept: {kept}", file=sys.stderr)
    if report.get("skipped"):
        print(f"skipped: folders of the same name that skillsite_pull did not create ({MANIFEST})", file=sys.stderr)
    return 0


def _print_verify(differences: list[str]) -> int:
    for difference in differences:
        print(difference)
    if differences:
        print(f"skillsite_pull: {len(differences)} difference(s) from the lock", file=sys.stderr)
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
