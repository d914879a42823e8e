"""Static assets (wrangler's ``assets = {directory, binding, html_handling, not_found_handling, run_worker_first}``).

Served in front of the Worker as Cloudflare's asset routing decides (``routing``), with ``_headers`` and
``_redirects`` rules (``rules``), from a manifest of the directory (``manifest``). ``server.AssetServer`` is what
the ASGI layer (``asgi``) asks first; ``binding`` is the ``env.ASSETS`` Fetcher. Names load lazily so that
importing the ASGI app stays cheap for Workers without assets.
"""

from __future__ import annotations

from typing import Any

_LAZY = {
    "AssetsConfig": "flarebind.runtime.assets.config",
    "AssetsConfigError": "flarebind.runtime.assets.config",
    "AssetServer": "flarebind.runtime.assets.server",
    "AssetResponse": "flarebind.runtime.assets.server",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(name)
