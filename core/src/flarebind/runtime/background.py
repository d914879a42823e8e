"""The runtime's background engines (Workflows, Queues), attached in one place once the Worker is loaded.

``Runtime`` calls :func:`attach` after loading the Worker (and after a context change) and :func:`detach` before
releasing; everything else lives in :mod:`flarebind.runtime.workflows` and :mod:`flarebind.runtime.queues`.
Nothing is imported unless the config has workflow bindings or queues.
"""

from __future__ import annotations

from typing import Any


async def attach(runtime: Any) -> None:
    ctx = runtime._ctx
    if ctx is None:
        return
    types = {spec.get("type") for spec in runtime._specs.values()}
    if "workflow" in types:
        from flarebind.runtime.workflows.host import host_for

        host_for(ctx).attach(runtime)
    config_consumers = runtime.config is not None and (runtime.config.flat.get("queues") or {}).get("consumers")
    if "queue" in types or runtime._options.get("queue_consumers") or config_consumers:
        from flarebind.runtime.queues.host import attach_runtime

        await attach_runtime(runtime)


async def detach(runtime: Any) -> None:
    ctx = runtime._ctx
    if ctx is None:
        return
    import sys

    if "flarebind.runtime.workflows.host" in sys.modules:
        from flarebind.runtime.workflows.host import existing_host

        host = existing_host(ctx)
        if host is not None and host.runner is runtime:
            await host.detach()
    if "flarebind.runtime.queues.host" in sys.modules:
        from flarebind.runtime.queues.host import detach_runtime

        await detach_runtime(runtime)
