"""The installed plugins' entry points, remembered between runs.

Asking ``importlib.metadata`` costs ~25 ms on every start (its import pulls in email, zipfile and csv, then it reads
every distribution's ``entry_points.txt`` and each plugin's METADATA), a tenth of a 0.2 s ``flarebind dev``
(DESIGN §10). Its answer is kept in a small JSON file under the user cache directory, with a fingerprint of what
it was read from: per ``sys.path`` directory, the ``*.dist-info`` / ``*.egg-info`` entries and the modification
time of each one's ``entry_points.txt``. Installing, upgrading or removing a distribution changes that listing,
and rewriting an ``entry_points.txt`` in place changes its time, so any of them means a fresh scan. Listing the
``sys.path`` directories costs well under a millisecond.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import zlib
from typing import Any, NamedTuple

CACHE_VERSION = 1


class FoundEntryPoint(NamedTuple):
    name: str
    value: str  # "module" or "module:attr"
    distribution: str | None
    version: str | None


def find(group: str) -> list[FoundEntryPoint]:
    """The entry points in ``group``, in ``importlib.metadata.entry_points(group=...)`` order."""
    fingerprint = _fingerprint()
    if fingerprint is None:
        return scan(group)
    path = _cache_file(group)
    cached = _read(path, group, fingerprint)
    if cached is not None:
        return cached
    found = scan(group)
    _write(path, group, fingerprint, found)
    return found


def scan(group: str) -> list[FoundEntryPoint]:
    """Ask ``importlib.metadata`` (no cache)."""
    from importlib.metadata import entry_points

    found = []
    for ep in entry_points(group=group):
        name = version = None
        if ep.dist is not None:
            metadata = ep.dist.metadata  # one read: dist.name and dist.version each re-parse METADATA
            name, version = metadata["Name"], metadata["Version"]
        found.append(FoundEntryPoint(ep.name, ep.value, name, version))
    return found


def load(found: FoundEntryPoint) -> Any:
    """What ``EntryPoint.load()`` returns: the module, or ``attr`` (dotted) looked up in it; extras are ignored."""
    return resolve(found.value)


def resolve(reference: str) -> Any:
    """``"module"`` or ``"module:attr.attr"`` (an entry point value, extras ignored) -> the object it names.

    The one resolver for such references: entry points, lazy adapter factories and lazy CLI commands use it."""
    module, _, attr = reference.split("[", 1)[0].strip().partition(":")
    value: Any = importlib.import_module(module.strip())
    for part in filter(None, attr.strip().split(".")):
        value = getattr(value, part)
    return value


def _fingerprint() -> list[Any] | None:
    from importlib.machinery import PathFinder

    # another finder could provide distributions this listing does not see: then always scan
    if any(hasattr(f, "find_distributions") and f is not PathFinder for f in sys.meta_path):
        return None
    fingerprint: list[Any] = []
    for entry in sys.path:
        where = os.path.abspath(entry or ".")
        try:
            names = sorted(n for n in os.listdir(where) if n.endswith((".dist-info", ".egg-info")))
        except NotADirectoryError:  # a zip or egg on sys.path
            fingerprint.append([where, _mtime(where)])
            continue
        except OSError:
            fingerprint.append([where, None])
            continue
        fingerprint.append([where, [[n, _mtime(os.path.join(where, n, "entry_points.txt"))] for n in names]])
    return fingerprint


def _mtime(path: str) -> int | None:
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return None


def _cache_file(group: str) -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    key = "\0".join([sys.executable, sys.version, *(os.path.abspath(p or ".") for p in sys.path)])
    return os.path.join(base, "flarebind", f"entry-points-{group}-{zlib.crc32(key.encode()):08x}.json")


def _read(path: str, group: str, fingerprint: list[Any]) -> list[FoundEntryPoint] | None:
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        if data["version"] != CACHE_VERSION or data["group"] != group or data["fingerprint"] != fingerprint:
            return None
        return [FoundEntryPoint(*item) for item in data["entry_points"]]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write(path: str, group: str, fingerprint: list[Any], found: list[FoundEntryPoint]) -> None:
    data = {"version": CACHE_VERSION, "group": group, "fingerprint": fingerprint, "entry_points": found}
    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(data, f)
        os.replace(tmp, path)  # readers see the old file or the new one, never half of one
    except OSError:  # a read-only home only costs the next start a scan
        try:
            os.unlink(tmp)
        except OSError:
            pass
