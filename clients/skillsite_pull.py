#!/usr/bin/env python3
"""Pulls the skills you may load from skillsite into a folder such as ~/.claude/skills/.

    python skillsite_pull.py --url https://skills.example.org [--dest ~/.claude/skills]
    (the API token in SKILLSITE_TOKEN, or --token)

Standard library only. Each available skill is fetched with the ETag it was last fetched with
(If-None-Match), so only what changed is downloaded: its SKILL.md, or its bundle (a zip of the
folder) when the version has other files. A skill no longer available (revoked, disabled) is
removed. The folder's `.skillsite.json` lists what this tool manages: a folder it did not
create is never touched.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import sys
import urllib.error
import urllib.request
import zipfile
from pathlib import Path, PurePosixPath

MANIFEST = ".skillsite.json"
TIMEOUT_SECONDS = 30


class PullError(Exception):
    pass


def _get(url: str, token: str, etag: str | None = None) -> tuple[int, bytes, str | None]:
    headers = {"Authorization": f"Token {token}", "Accept": "*/*"}
    if etag:
        headers["If-None-Match"] = etag
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=TIMEOUT_SECONDS) as answer:
            return answer.status, answer.read(), answer.headers.get("ETag")
    except urllib.error.HTTPError as error:
        if error.code == 304:
            return 304, b"", etag
        raise PullError(f"{url}: {error.code} {error.read().decode(errors='replace')[:300]}") from error


def available(base_url: str, token: str) -> list[dict]:
    url, skills = base_url.rstrip("/") + "/api/skills/available/", []
    while url:
        _status, body, _etag = _get(url, token)
        page = json.loads(body)
        skills += page["results"]
        url = page.get("next")
    return skills


def _unpack(data: bytes, folder: Path) -> None:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():
            name = PurePosixPath(info.filename)
            if name.is_absolute() or ".." in name.parts:
                raise PullError(f"unsafe path in bundle: {info.filename}")
            target = folder.joinpath(*name.parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(archive.read(info))
            target.chmod((info.external_attr >> 16) & 0o777 or 0o644)


def _install(dest: Path, skill: dict, kind: str, data: bytes) -> None:
    """Writes the skill into a fresh folder beside its place, then swaps it in."""
    staging = dest / f".{skill['name']}.incoming"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    if kind == "bundle":
        _unpack(data, staging)
    else:
        (staging / "SKILL.md").write_bytes(data)
    target = dest / skill["name"]
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)


def pull(*, base_url: str, token: str, dest: Path) -> dict[str, list[str]]:
    """Brings dest in line with the caller's available skills; returns what was done to each."""
    dest.mkdir(parents=True, exist_ok=True)
    manifest_path = dest / MANIFEST
    managed = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    report: dict[str, list[str]] = {"downloaded": [], "unchanged": [], "removed": [], "skipped": []}
    skills = available(base_url, token)
    for skill in skills:
        name, kind = skill["name"], "bundle" if skill.get("bundle_url") else "content"
        if (dest / name).exists() and name not in managed:
            report["skipped"].append(name)  # someone's own folder of that name
            continue
        known = managed.get(name, {})
        status, data, etag = _get(skill[f"{kind}_url"], token, known.get("etag") if known.get("kind") == kind else None)
        if status == 304 and (dest / name).exists():
            report["unchanged"].append(name)
            continue
        if status == 304:
            status, data, etag = _get(skill[f"{kind}_url"], token)
        _install(dest, skill, kind, data)
        managed[name] = {"etag": etag, "kind": kind, "version": skill["version"]}
        report["downloaded"].append(name)
    for name in sorted(set(managed) - {skill["name"] for skill in skills}):
        shutil.rmtree(dest / name, ignore_errors=True)
        del managed[name]
        report["removed"].append(name)
    manifest_path.write_text(json.dumps(managed, indent=2, sort_keys=True))
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="the skillsite, e.g. https://skills.example.org")
    parser.add_argument("--token", default=os.environ.get("SKILLSITE_TOKEN"), help="API token (or SKILLSITE_TOKEN)")
    parser.add_argument("--dest", type=Path, default=Path.home() / ".claude" / "skills")
    args = parser.parse_args(argv)
    if not args.token:
        parser.error("an API token is needed: --token or SKILLSITE_TOKEN")
    try:
        report = pull(base_url=args.url, token=args.token, dest=args.dest.expanduser())
    except (PullError, urllib.error.URLError, OSError, ValueError) as error:
        print(f"skillsite_pull: {error}", file=sys.stderr)
        return 1
    for what, names in report.items():
        if names:
            print(f"{what}: {', '.join(names)}")
    if report["skipped"]:
        print(f"skipped: folders of the same name that skillsite_pull did not create ({MANIFEST})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
