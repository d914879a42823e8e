"""``/local/workers``: this session's worker and its bindings, by kind (Miniflare's dev-registry view, self only)."""

from __future__ import annotations

from typing import Any

from flarebind.explorer.envelope import Reply, ok


def local_workers(res: Any) -> Reply:
    bindings = {
        "kv": [{"id": i, "bindingName": b} for i, b in res.kv.items()],
        "d1": [{"id": i, "bindingName": b} for i, b in res.d1.items()],
        "r2": [{"id": i, "bindingName": b} for i, b in res.r2.items()],
        "do": res.durable_objects(),
        "workflows": res.workflows(),
    }
    return ok([{"isSelf": True, "name": res.worker, "bindings": bindings}])
