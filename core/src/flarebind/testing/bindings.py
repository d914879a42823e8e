"""Build single binding objects by type, locally or through the remote path, for tests and conformance suites."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from flarebind.bindings.context import LocalContext
from flarebind.plugins import Plugins, get_plugins

MakeBinding = Callable[..., Awaitable[Any]]


@asynccontextmanager
async def open_bindings(
    mode: str = "local",
    *,
    persist_to: Path | None = None,
    clock: Callable[[], float] | None = None,
    plugins: Plugins | None = None,
) -> AsyncIterator[MakeBinding]:
    """Yield ``make(type_name, spec, name="BINDING")`` building binding objects in ``mode``.

    ``mode`` is ``"local"`` (in memory unless ``persist_to`` is given) or ``"remote"`` (through a remote proxy
    session; see :mod:`flarebind.remote`). Everything built is disposed on exit.
    """
    plugins = plugins or get_plugins()
    ctx_kwargs: dict[str, Any] = {"persist_to": persist_to, "in_memory": persist_to is None}
    if clock is not None:
        ctx_kwargs["clock"] = clock
    ctx = LocalContext(**ctx_kwargs)

    async def make(type_name: str, spec: dict[str, Any], name: str = "BINDING") -> Any:
        full = {"type": type_name, **spec}
        if mode == "local":
            return plugins.registry.factory("local", type_name, name)(name, full, ctx)
        raise NotImplementedError(f"open_bindings: mode {mode!r} is not implemented yet (remote bindings issue)")

    try:
        yield make
    finally:
        await ctx.dispose()
