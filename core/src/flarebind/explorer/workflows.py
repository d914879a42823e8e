"""``/workflows…``: the Workflows API lives with the Workflows engine (:mod:`flarebind.runtime.workflows.api`); this
module adapts it to the explorer's router. Workflows run only inside ``flarebind dev`` (they need the runtime)."""

from __future__ import annotations

from typing import Any

from flarebind.explorer.envelope import INTERNAL, Reply, error


async def handle(res: Any, method: str, path: str, query: str, body: bytes) -> Reply:
    if res.runtime is None:
        return error(
            501, INTERNAL, "Workflows run inside `flarebind dev`: start it to list and drive Workflow instances."
        )
    from flarebind.runtime.workflows.api import handle as workflows_handle

    response = await workflows_handle(res.runtime, method, "/cdn-cgi/explorer/api" + path, query, body)
    return Reply(response.status, await response.arrayBuffer(), dict(response.headers.raw_items()))
