"""Edge features served by plugins: ``/cdn-cgi/<name>/…`` paths in ``flarebind dev`` and ``cf`` options of a
Worker's outbound ``fetch`` (see ``AdapterRegistrar.cdn_cgi`` / ``fetch_cf``).

The plugin registry is consulted only for a ``/cdn-cgi/`` path or a ``cf`` key, so ordinary requests pay nothing.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

CDN_CGI_PREFIX = "/cdn-cgi/"


def _registry() -> Any:
    from flarebind.plugins import get_plugins

    return get_plugins().registry


def cdn_cgi_handler(path: str) -> Any:
    """The plugin handler for ``/cdn-cgi/<name>/…``, or None (the request then goes to the Worker)."""
    name = path[len(CDN_CGI_PREFIX) :].split("/", 1)[0]
    return _registry().edge_handler("cdn-cgi", name) if name else None


async def serve_cdn_cgi(handler: Any, runtime: Any, request: Any) -> Any:
    """Run a ``/cdn-cgi/`` handler; its ``fetch(url)`` reaches the Worker for this host's URLs, the network else."""
    from flarebind.runtime.sdk.fetch import js_fetch
    from flarebind.runtime.sdk.request import JsRequest

    own = urlsplit(request.url)

    async def fetch(url: str, init: Any = None) -> Any:
        target = urlsplit(url)
        if not target.scheme:  # a path on this zone: the Worker is the origin in local development
            url = f"{own.scheme}://{own.netloc}{url if url.startswith('/') else '/' + url}"
            target = urlsplit(url)
        if target.netloc == own.netloc:
            return await runtime.handle_fetch(JsRequest.new(url, init))
        return await js_fetch(url, init)

    return await handler(request, fetch)


def fetch_cf_handler(cf: Any) -> tuple[Any, Any] | None:
    """The first ``cf`` option a plugin handles: ``(handler, options)``, or None."""
    if not cf or not hasattr(cf, "items"):
        return None
    for key, value in cf.items():
        if value is None:
            continue
        handler = _registry().edge_handler("fetch-cf", str(key))
        if handler is not None:
            return handler, value
    return None
