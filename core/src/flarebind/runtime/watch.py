"""File watching for ``flarebind dev``: watchfiles' Rust watcher, waited on in a thread of its own.

``watchfiles.awatch`` runs the same watcher through anyio, and anyio's asyncio backend costs ~60 ms to import on the
watcher's first step, which comes before the dev server answers its first request (start-up is an import budget,
DESIGN §10). This is awatch's loop with the wait handed to a plain thread instead; the watchfiles environment
variables (``WATCHFILES_FORCE_POLLING``, ``WATCHFILES_POLL_DELAY_MS``, ``WATCHFILES_DEBUG``,
``WATCHFILES_IGNORE_PERMISSION_DENIED``) keep their meaning.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from watchfiles import Change

# awatch's defaults
DEBOUNCE_MS = 1600
POLL_DELAY_MS = 300
RUST_TIMEOUT_MS = 5000  # how long one wait in the thread lasts before it loops (awatch: 5 s outside Windows)


def _env_flag(name: str) -> bool:
    return bool(os.getenv(name))


def _force_polling() -> bool:
    value = os.getenv("WATCHFILES_FORCE_POLLING")
    if value:
        return value.lower() not in {"false", "disable", "disabled"}
    import platform  # polling is on by default only on WSL, where inotify misses Windows-side edits

    uname = platform.uname()
    return "microsoft-standard" in uname.release.lower() and uname.system.lower() == "linux"


def _poll_delay_ms() -> int:
    value = os.getenv("WATCHFILES_POLL_DELAY_MS")
    return int(value) if value and value.isdecimal() else POLL_DELAY_MS


class _Stop:
    """What the Rust watcher polls every step: the caller's stop event, or ours (set when the task is cancelled)."""

    def __init__(self, outer: Any) -> None:
        self.outer = outer
        self.inner = threading.Event()

    def is_set(self) -> bool:
        return self.inner.is_set() or (self.outer is not None and self.outer.is_set())


class FileWatcher:
    """Watches ``paths``; the OS watches are in place when the constructor returns, so no later edit is missed."""

    def __init__(
        self,
        *paths: Path | str,
        watch_filter: Callable[[Change, str], bool] | None = None,
        recursive: bool = True,
        step_ms: int = 50,
        debounce_ms: int = DEBOUNCE_MS,
    ) -> None:
        # documented as watchfiles' Rust backend (the class both `watch` and `awatch` drive)
        from watchfiles._rust_notify import RustNotify

        self.watch_filter = watch_filter
        self.step_ms = step_ms
        self.debounce_ms = debounce_ms
        self._notify = RustNotify(
            [str(p) for p in paths],
            _env_flag("WATCHFILES_DEBUG"),
            _force_polling(),
            _poll_delay_ms(),
            recursive,
            _env_flag("WATCHFILES_IGNORE_PERMISSION_DENIED"),
        )

    async def changes(self, stop_event: Any = None) -> AsyncIterator[set[tuple[Change, str]]]:
        """Yield each batch of changes that passes the filter, until ``stop_event`` is set or the task is cancelled."""
        loop = asyncio.get_running_loop()
        stop = _Stop(stop_event)
        executor = ThreadPoolExecutor(1, thread_name_prefix="flarebind-watch")
        try:
            while True:
                waiting = loop.run_in_executor(
                    executor, self._notify.watch, self.debounce_ms, self.step_ms, RUST_TIMEOUT_MS, stop
                )
                try:
                    raw = await asyncio.shield(waiting)
                except asyncio.CancelledError:
                    stop.inner.set()
                    await asyncio.wait([waiting])  # the thread sees the stop within one step
                    raise
                if raw == "timeout":
                    continue
                if raw == "stop":
                    return
                if raw == "signal":
                    raise RuntimeError("watch thread unexpectedly received a signal")
                changes = {(Change(change), path) for change, path in raw}
                if self.watch_filter is not None:
                    changes = {c for c in changes if self.watch_filter(c[0], c[1])}
                if changes:
                    yield changes
        finally:
            stop.inner.set()
            executor.shutdown(wait=False)
            self._notify.close()
