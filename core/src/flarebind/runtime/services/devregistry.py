"""A dev registry between separate ``flarebind dev`` processes, following wrangler's rules (workers-sdk
packages/miniflare/src/shared/DEV_REGISTRY.md): one JSON file per Worker name in a registry folder, its mtime touched
every 10 s by the owner, entries older than 90 s ignored and deleted by readers, a name held by another live process
not overwritten.

The folder is ``$FLAREBIND_REGISTRY_PATH``, else ``flarebind-registry`` beside wrangler's ``registry`` in its global
config folder (``~/.wrangler`` if it exists, else ``$XDG_CONFIG_HOME/.wrangler`` / ``~/.config/.wrangler``). It is
not wrangler's own folder: current wrangler entries point at workerd's Cap'n Proto debug port, which flarebind does
not speak, so the two would misread each other. Calls travel as HTTP to the target's
``/cdn-cgi/flarebind-service/<worker>/{fetch,rpc}`` (``edge``).
"""

from __future__ import annotations

import json
import os
import re
import time
import uuid
from pathlib import Path
from typing import Any

REFRESH_SECONDS = 10
STALE_SECONDS = 90
INSTANCE = uuid.uuid4().hex
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$")


def _wrangler_home() -> Path:
    home = Path.home() / ".wrangler"
    if not home.is_dir():
        home = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config") / ".wrangler"
    return home


def registry_dir() -> Path:
    given = os.environ.get("FLAREBIND_REGISTRY_PATH")
    if given:
        return Path(given)
    return _wrangler_home() / "flarebind-registry"


def wrangler_registry_dir() -> Path:
    """wrangler's own dev registry (workers-sdk packages/wrangler: ``WRANGLER_REGISTRY_PATH``, else
    ``<global config folder>/registry``); flarebind only reads it, to explain why such a Worker is unreachable."""
    given = os.environ.get("WRANGLER_REGISTRY_PATH")
    return Path(given) if given else _wrangler_home() / "registry"


def wrangler_entry(name: str) -> tuple[Path, dict[str, Any]] | None:
    """A live ``wrangler dev`` registry entry for ``name`` (older than 90 s: ignored, left to wrangler to delete)."""
    if not _NAME.match(name or ""):
        return None
    path = wrangler_registry_dir() / name
    try:
        if time.time() - path.stat().st_mtime > STALE_SECONDS:
            return None
        entry = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return (path, entry) if isinstance(entry, dict) else None


def missing_message(name: str) -> str:
    """Why a Worker bound by name cannot be reached: wrangler's not-running text, or, when ``wrangler dev`` runs it,
    why flarebind cannot call into that session."""
    found = wrangler_entry(name)
    if found is None:
        return f'Worker "{name}" not found. Make sure it is running locally.'
    path, entry = found
    port = entry.get("debugPortAddress") or "its debug port"
    return (
        f'Worker "{name}" is running under wrangler dev (dev registry entry {path}), which flarebind cannot call: '
        f"wrangler connects Workers through workerd's Cap'n Proto debug port ({port}), a protocol flarebind does "
        f'not speak. Run "{name}" with flarebind dev instead (in this process: flarebind dev -c <this config> -c '
        f"<its config>; or as a separate flarebind dev process)."
    )


def _file(name: str) -> Path | None:
    # a Worker name becomes a file name: only names wrangler accepts for Workers, nothing path-like
    return registry_dir() / name if _NAME.match(name or "") else None


def lookup(name: str) -> dict[str, Any] | None:
    path = _file(name)
    if path is None:
        return None
    try:
        age = time.time() - path.stat().st_mtime
        entry = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if age > STALE_SECONDS:
        path.unlink(missing_ok=True)
        return None
    return entry if isinstance(entry, dict) else None


def announce(name: str, host: str, port: int) -> bool:
    """Register ``name`` at ``host:port``; False when another live process holds the name."""
    path = _file(name)
    if path is None:
        return False
    current = lookup(name)
    if current is not None and current.get("instanceId") != INSTANCE and _alive(current.get("pid")):
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    entry = {"protocol": "http", "host": host, "port": port, "pid": os.getpid(), "instanceId": INSTANCE}
    tmp = path.with_name(f".{name}.{INSTANCE}.tmp")
    tmp.write_text(json.dumps(entry))
    tmp.replace(path)
    return True


def touch(names: list[str]) -> None:
    for name in names:
        path = _file(name)
        if path is not None and (lookup(name) or {}).get("instanceId") == INSTANCE:
            os.utime(path)


def withdraw(name: str) -> None:
    path = _file(name)
    if path is not None and (lookup(name) or {}).get("instanceId") == INSTANCE:
        path.unlink(missing_ok=True)


def _alive(pid: Any) -> bool:
    try:
        os.kill(int(pid), 0)
    except (TypeError, ValueError, ProcessLookupError):
        return False
    except PermissionError:
        return True
    return True
