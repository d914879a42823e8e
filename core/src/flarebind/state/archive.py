"""A portable archive of every local resource: ``v3/`` of the state folder as a gzipped tar, with ``manifest.json``
listing each file's size and SHA-256, checked before anything is replaced. Wrangler's layout is kept as is, so the
``v3/`` of an archive is usable by wrangler too."""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
import time
from pathlib import Path, PurePosixPath
from typing import Any

from flarebind.state import StateError

FORMAT = "flarebind-state"
VERSION = 1
MANIFEST = "manifest.json"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def checksums(v3: Path) -> dict[str, dict[str, Any]]:
    """``{"v3/<relative path>": {"size", "sha256"}}`` for every file under ``v3`` (SQLite's -shm files excluded: they
    are a per-process index rebuilt on open)."""
    out: dict[str, dict[str, Any]] = {}
    if not v3.is_dir():
        return out
    for path in sorted(v3.rglob("*")):
        if path.is_file() and not path.is_symlink() and not path.name.endswith("-shm"):
            rel = "v3/" + path.relative_to(v3).as_posix()
            out[rel] = {"size": path.stat().st_size, "sha256": _sha256(path)}
    return out


def export_state(state: Path, target: Path) -> dict[str, Any]:
    """Write the archive of ``state/v3`` to ``target``; returns the manifest."""
    from flarebind.state.folder import checkpoint

    v3 = state / "v3"
    checkpoint(v3)  # fold SQLite write-ahead logs into the database files so the copy is whole
    files = checksums(v3)
    created = int(time.time())
    manifest = {"format": FORMAT, "version": VERSION, "created": created, "files": files}
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    with tarfile.open(partial, "w:gz") as tar:
        data = json.dumps(manifest, indent=1, sort_keys=True).encode()
        info = tarfile.TarInfo(MANIFEST)
        info.size = len(data)
        info.mtime = created
        tar.addfile(info, io.BytesIO(data))
        for rel in files:
            tar.add(state / rel, arcname=rel, recursive=False)
    os.replace(partial, target)
    return manifest


def _member_path(name: str) -> PurePosixPath:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts or path.parts[0] != "v3" or "\\" in name:
        raise StateError(f"archive member {name!r} is outside v3/: refusing to import this archive")
    return path


def unpack(source: Path, into: Path) -> dict[str, Any]:
    """Extract the archive's ``v3/`` into the empty folder ``into`` after checking every member's path, type, size and
    checksum against the manifest; returns the manifest."""
    if not source.is_file():
        raise StateError(f"{source}: no such state archive")
    try:
        tar = tarfile.open(source, "r:*")  # noqa: SIM115 -- closed by the with below; open errors reported here
    except (tarfile.TarError, OSError) as exc:
        raise StateError(
            f"{source} is not a state archive (a .tar.gz written by `flarebind state export`): {exc}"
        ) from None
    with tar:
        try:
            member = tar.getmember(MANIFEST)
            manifest = json.load(tar.extractfile(member))  # type: ignore[arg-type]
        except (KeyError, ValueError):
            raise StateError(f"{source} has no readable {MANIFEST}: not written by `flarebind state export`") from None
        if manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
            raise StateError(
                f"{source}: unsupported archive format {manifest.get('format')!r} v{manifest.get('version')}"
            )
        expected: dict[str, dict[str, Any]] = manifest.get("files") or {}
        seen: set[str] = set()
        for member in tar.getmembers():
            if member.name == MANIFEST:
                continue
            rel = _member_path(member.name)
            if member.isdir():
                continue
            if not member.isfile():
                raise StateError(f"archive member {member.name!r} is not a regular file: refusing to import")
            entry = expected.get(str(rel))
            if entry is None:
                raise StateError(f"archive member {member.name!r} is not in the manifest: the archive was altered")
            dest = into.joinpath(*rel.parts)
            dest.parent.mkdir(parents=True, exist_ok=True)
            digest = hashlib.sha256()
            with tar.extractfile(member) as src, dest.open("wb") as out:  # type: ignore[union-attr]
                for chunk in iter(lambda: src.read(1 << 20), b""):
                    digest.update(chunk)
                    out.write(chunk)
            if digest.hexdigest() != entry["sha256"] or dest.stat().st_size != entry["size"]:
                raise StateError(f"{member.name}: checksum mismatch, the archive is damaged")
            seen.add(str(rel))
        missing = set(expected) - seen
        if missing:
            raise StateError(f"{source} lacks {len(missing)} file(s) its manifest lists, e.g. {sorted(missing)[0]}")
    return manifest


def import_state(state: Path, source: Path) -> dict[str, Any]:
    """Replace ``state/v3`` with the archive's (checked in full first; the old state is kept until then)."""
    from flarebind.state.folder import replace_v3, work_dir

    with work_dir(state) as scratch:
        manifest = unpack(source, scratch)
        replace_v3(state, scratch / "v3")
    return manifest


__all__ = ["StateError", "checksums", "export_state", "import_state"]
