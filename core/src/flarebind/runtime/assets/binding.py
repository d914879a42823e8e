"""``env.ASSETS``: a Fetcher over the asset server (``await env.ASSETS.fetch(request_or_url)``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flarebind.runtime.assets.config import AssetsConfig
from flarebind.runtime.assets.server import AssetServer


class AssetsBinding:
    def __init__(self, name: str, server: AssetServer) -> None:
        self._name = name
        self._server = server

    async def fetch(self, input: Any, init: Any = None, **kwargs: Any) -> Any:
        from flarebind.runtime.sdk.request import JsRequest
        from flarebind.runtime.sdk.response import JsResponse

        if isinstance(input, str) and not urlsplit(input).scheme:
            raise TypeError(f"Fetch API cannot load: {input}")
        request = JsRequest.new(input, init, **kwargs)
        url = urlsplit(request.url)
        headers = {k.lower(): v for k, v in request.headers.entries()}
        search = f"?{url.query}" if url.query else ""
        found = self._server.respond(str(request.method), url.path or "/", url.netloc, search, headers)
        if found is None:
            return JsResponse(None, status=404)
        body = found.body if found.body or found.status not in (304, 307, 301, 302, 303, 308, 404, 405) else None
        return JsResponse(body, status=found.status, headers=found.headers)

    def __repr__(self) -> str:
        return f"<Fetcher {self._name} (assets in {self._server.config.directory})>"


def make_local_assets(name: str, spec: dict[str, Any], ctx: Any) -> AssetsBinding:
    """The local adapter for the ``assets`` binding."""
    from flarebind.runtime.compat import Compat

    compat = Compat.of(getattr(ctx, "compatibility_date", None), getattr(ctx, "compatibility_flags", ()))
    base = Path(getattr(ctx, "project_dir", None) or Path.cwd())
    config = AssetsConfig.from_spec(
        spec, base, navigation_prefers_assets=compat.enabled("assets_navigation_prefers_asset_serving")
    )
    return AssetsBinding(name, AssetServer(config))
