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

    if mode not in ("local", "remote"):
        raise ValueError(f"open_bindings: mode must be 'local' or 'remote', not {mode!r}")
    channel = pool = None
    if mode == "remote":
        channel, pool = await _remote_pool()

    async def make(type_name: str, spec: dict[str, Any], name: str = "BINDING") -> Any:
        full = {"type": type_name, **spec}
        if mode == "local":
            return plugins.registry.factory("local", type_name, name)(name, full, ctx)
        # remote: the binding is one of the proxy's, emptied before its first use in this block
        proxy_name = await pool.assign(type_name, spec)
        return plugins.registry.factory("remote", type_name, name)(proxy_name, full, channel)

    try:
        yield make
    finally:
        await ctx.dispose()
        if channel is not None:
            await channel.aclose()


async def _remote_pool() -> Any:
    """A channel to the test proxy and a pool of its bindings.

    ``FLAREBIND_REMOTE_PROXY_URL`` / ``FLAREBIND_REMOTE_PROXY_SECRET`` name a running proxy (deployed, or under
    ``wrangler dev`` started by a fixture); otherwise one ``wrangler dev`` proxy is started for this process.
    """
    import asyncio

    from flarebind.remote.channel import channel_for_deployed_proxy, channel_from_env
    from flarebind.testing.remote_proxy import ProxyBindingPool, shared_dev_proxy

    channel = channel_from_env()
    if channel is None:
        proxy = await asyncio.to_thread(shared_dev_proxy)
        channel = channel_for_deployed_proxy(proxy.url, proxy.secret)
    info = await channel.info()
    return channel, ProxyBindingPool(channel, info["bindings"])
