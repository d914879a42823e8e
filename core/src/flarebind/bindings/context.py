"""What a binding factory is given: the local context (persist dir, clock, compatibility) or a remote channel."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Protocol

import attrs


def _system_clock() -> float:
    return time.time()


@attrs.define(kw_only=True)
class LocalContext:
    """Everything a local simulator needs, shared by all bindings of one runtime / platform proxy.

    :param persist_to: the state root (wrangler's ``--persist-to``; default ``<project>/.wrangler/state``). Simulators
        write under ``persist_to / "v3" / <plugin folder>`` in Miniflare's v3 layout. ``None`` with ``in_memory``.
    :param in_memory: keep nothing on disk (tests).
    :param clock: seconds since the epoch; injectable so expiry tests never sleep.
    :param project_dir: the directory of the config file (relative paths such as ``migrations_dir`` resolve here).
    """

    persist_to: Path | None = None
    in_memory: bool = False
    clock: Callable[[], float] = _system_clock
    project_dir: Path = attrs.field(factory=Path.cwd)
    compatibility_date: str | None = None
    compatibility_flags: tuple[str, ...] = ()
    _cleanups: list[Callable[[], Any]] = attrs.field(factory=list, alias="_cleanups")
    _reload_hooks: list[Callable[[], Any]] = attrs.field(factory=list, alias="_reload_hooks")

    def __attrs_post_init__(self) -> None:
        if self.persist_to is None and not self.in_memory:
            self.persist_to = self.project_dir / ".wrangler" / "state"

    def v3_dir(self, *parts: str) -> Path:
        """``<persist_to>/v3/<parts…>``; only valid when not in memory."""
        if self.persist_to is None:
            raise RuntimeError("in-memory context has no persist directory")
        return Path(self.persist_to, "v3", *parts)

    def add_cleanup(self, fn: Callable[[], Any]) -> None:
        """Run ``fn`` (sync or async) when the runtime or platform proxy is disposed, last registered first."""
        self._cleanups.append(fn)

    def add_reload_hook(self, fn: Callable[[], Any]) -> None:
        """Run ``fn`` (sync or async) each time the Worker's code is reloaded (``flarebind dev``): for state that
        belongs to one version of the code, such as open browser sessions."""
        self._reload_hooks.append(fn)

    async def reloaded(self) -> None:
        for fn in list(self._reload_hooks):
            result = fn()
            if isinstance(result, Awaitable):
                await result

    async def dispose(self) -> None:
        while self._cleanups:
            result = self._cleanups.pop()()
            if isinstance(result, Awaitable):
                await result


class RemoteChannel(Protocol):
    """The transport a remote adapter uses to reach its binding through a remote proxy session.

    Implemented in :mod:`flarebind.remote`; the wire format is documented in ``docs/remote-protocol.md``.
    """

    async def call(self, binding: str, calls: list[dict[str, Any]], body: Any = None) -> Any: ...
