"""What a binding factory is given: the local context (persist dir, clock, compatibility) or a remote channel."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Protocol, TypeVar

import attrs

T = TypeVar("T")


def _system_clock() -> float:
    return time.time()


def default_state_dir(project_dir: Path | str) -> Path:
    """Where local state lives when nothing says otherwise: ``<project>/.wrangler/state``, shared with wrangler.
    The one place that decides it (contexts, ``Runtime.from_config`` and the CLI's state labels ask here)."""
    return Path(project_dir) / ".wrangler" / "state"


@attrs.define(kw_only=True)
class LocalContext:
    """Everything a local simulator needs, shared by all bindings of one runtime / platform proxy.

    :param persist_to: the state root (wrangler's ``--persist-to``; default ``<project>/.wrangler/state``). Simulators
        write under ``persist_to / "v3" / <plugin folder>`` in Miniflare's v3 layout. ``None`` with ``in_memory``.
    :param in_memory: keep nothing on disk (tests).
    :param clock: seconds since the epoch; injectable so expiry tests never sleep.
    :param project_dir: the directory of the config file (relative paths such as ``migrations_dir`` resolve here).
    :param compatibility_date: the Worker's compatibility date (``None``: not set).
    :param compatibility_flags: the Worker's compatibility flags.

    Stores shared by bindings of one resource: :meth:`store`. Cleanups: :meth:`add_cleanup`, run by :meth:`dispose`.
    """

    persist_to: Path | None = None
    in_memory: bool = False
    clock: Callable[[], float] = _system_clock
    project_dir: Path = attrs.field(factory=Path.cwd)
    compatibility_date: str | None = None
    compatibility_flags: tuple[str, ...] = ()
    _cleanups: list[Callable[[], Any]] = attrs.field(factory=list, alias="_cleanups")
    # (kind, resource) -> the store every binding of that resource shares in this context
    _stores: dict[tuple[str, str], Any] = attrs.field(factory=dict, alias="_stores", eq=False, repr=False)
    _reload_hooks: list[Callable[[], Any]] = attrs.field(factory=list, alias="_reload_hooks")

    def __attrs_post_init__(self) -> None:
        if self.persist_to is None and not self.in_memory:
            self.persist_to = default_state_dir(self.project_dir)

    def v3_dir(self, *parts: str) -> Path:
        """``<persist_to>/v3/<parts…>``; only valid when not in memory."""
        if self.persist_to is None:
            raise RuntimeError("in-memory context has no persist directory")
        return Path(self.persist_to, "v3", *parts)

    def store(
        self,
        kind: str,
        resource: str,
        open: Callable[[], T],
        *,
        close: Callable[[T], Any] | None = None,
        reusable: Callable[[T], bool] | None = None,
    ) -> T:
        """The store for one resource, shared by every binding of this context that names it.

        Two ``[[kv_namespaces]]`` entries with one id see the same data through one connection, as two bindings
        of one namespace share one Durable Object in Miniflare. ``open()`` creates it on first use; ``close(store)``
        (default: its ``close()`` method, if any) runs when the context is disposed, last opened first.
        ``reusable(store)`` returning ``False`` (a store closed meanwhile) makes the next call open a new one.

        :param kind: the plugin's folder or any name that keeps its stores apart from other plugins' (``"kv"``).
        :param resource: the resource id (namespace id, bucket name, database id).
        """
        key = (kind, resource)
        found = self._stores.get(key)
        if found is not None and (reusable is None or reusable(found)):
            return found  # type: ignore[no-any-return]
        value = open()
        self._stores[key] = value
        method = getattr(value, "close", None)

        def release() -> Any:
            if self._stores.get(key) is value:
                del self._stores[key]
            if close is not None:
                return close(value)
            return method() if callable(method) else None

        self.add_cleanup(release)
        return value

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
        """Run the cleanups (sync or async), last registered first."""
        while self._cleanups:
            result = self._cleanups.pop()()
            if isinstance(result, Awaitable):
                await result


class RemoteChannel(Protocol):
    """The transport a remote adapter uses to reach its binding through a remote proxy session.

    Implemented in :mod:`flarebind.remote`; the wire format is documented in ``docs/remote-protocol.md``.
    """

    async def call(self, binding: str, calls: list[dict[str, Any]], body: Any = None) -> Any: ...
