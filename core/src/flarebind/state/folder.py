"""The state folder: resolution from a config, named snapshots, reset, and the swap every restore goes through."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

from flarebind.state import GENERATION, OWN, StateError, generation_file
from flarebind.state.archive import export_state, import_state

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def state_dir(config: object, persist_to: str | None) -> Path:
    from flarebind.bindings.context import default_state_dir

    return Path(persist_to).resolve() if persist_to else default_state_dir(config.dir).resolve()  # type: ignore[attr-defined]


def snapshot_path(state: Path, name: str) -> Path:
    if not _NAME.match(name) or name.endswith(".") or ".." in name:
        raise StateError(
            f"invalid snapshot name {name!r}: use letters, digits, '.', '_' and '-' (up to 64, starting with a letter "
            "or digit)"
        )
    return state / OWN / "snapshots" / f"{name}.tar.gz"


def snapshot(state: Path, name: str) -> Path:
    target = snapshot_path(state, name)
    export_state(state, target)
    return target


def restore(state: Path, name: str) -> None:
    source = snapshot_path(state, name)
    if not source.is_file():
        known = ", ".join(list_snapshots(state)) or "none"
        raise StateError(f"no snapshot named {name!r} (snapshots: {known}); make one with `flarebind state snapshot`")
    import_state(state, source)


def list_snapshots(state: Path) -> list[str]:
    folder = state / OWN / "snapshots"
    if not folder.is_dir():
        return []
    return sorted(p.name[: -len(".tar.gz")] for p in folder.glob("*.tar.gz"))


def reset(state: Path) -> None:
    """Remove every local resource (``v3/``); snapshots are kept."""
    with work_dir(state) as scratch:
        (scratch / "v3").mkdir()
        replace_v3(state, scratch / "v3")


@contextlib.contextmanager
def work_dir(state: Path) -> Iterator[Path]:
    """A scratch folder inside the state folder (same filesystem, so the swap is a rename), removed afterwards."""
    scratch = state / OWN / f"work-{uuid.uuid4().hex}"
    scratch.mkdir(parents=True)
    try:
        yield scratch
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def replace_v3(state: Path, new_v3: Path) -> None:
    """Swap ``new_v3`` in for ``state/v3`` and bump the generation, which a running ``flarebind dev`` checks before
    each request to reopen its stores (:mod:`flarebind.state.live`)."""
    v3 = state / "v3"
    old = new_v3.parent / "old-v3"
    if v3.exists():
        os.replace(v3, old)
    os.replace(new_v3, v3)
    bump_generation(state)
    shutil.rmtree(old, ignore_errors=True)


def bump_generation(state: Path) -> None:
    marker = generation_file(state)
    marker.parent.mkdir(parents=True, exist_ok=True)
    partial = marker.with_name(f"{GENERATION}.{uuid.uuid4().hex}")
    partial.write_text(uuid.uuid4().hex)
    os.replace(partial, marker)


def checkpoint(v3: Path) -> None:
    """Fold each SQLite database's write-ahead log into its file (readers and writers elsewhere are not disturbed)."""
    if not v3.is_dir():
        return
    for path in v3.rglob("*.sqlite"):
        try:
            conn = sqlite3.connect(path, timeout=5)
            try:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                conn.close()
        except sqlite3.Error:
            continue  # not a database we can open: archived as it is


__all__ = ["StateError", "list_snapshots", "reset", "restore", "snapshot", "state_dir"]
