"""The Workers running in this process, by name (``flarebind dev -c a -c b`` registers each config's Worker).

A service binding looks its target up at call time, so start-up order does not matter and a reloaded runtime is
found again. ``not_found_message`` is wrangler's text for a target that is not running.
"""

from __future__ import annotations

from typing import Any

_WORKERS: dict[str, Any] = {}


def register_worker(name: str, runtime: Any) -> None:
    """Make ``runtime`` reachable as service ``name`` (replaces an earlier registration of that name)."""
    _WORKERS[name] = runtime


def unregister_worker(name: str, runtime: Any | None = None) -> None:
    if runtime is None or _WORKERS.get(name) is runtime:
        _WORKERS.pop(name, None)


def lookup(name: str) -> Any | None:
    return _WORKERS.get(name)


def registered() -> list[str]:
    return sorted(_WORKERS)


def not_found_message(name: str) -> str:
    # miniflare's dev-registry proxy: the body of the 503 (fetch) and the message of the thrown Error (RPC)
    return f'Worker "{name}" not found. Make sure it is running locally.'
