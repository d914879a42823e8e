"""Browser Rendering through the flarebind proxy worker: ``fetch`` reaches the real binding on Cloudflare."""

from __future__ import annotations

from typing import Any

from flarebind.plugin import RemoteFetcher


class RemoteBrowser(RemoteFetcher):
    """``env.BROWSER`` with ``remote = true``: ``/v1/acquire``, ``/v1/sessions``, ``/v1/history`` and ``/v1/limits``
    answer from Cloudflare. The DevTools WebSocket (``/v1/connectDevtools``) cannot cross the proxy's protocol v1,
    which carries no WebSockets; :mod:`flarebind_browser.helper` says so when asked to connect."""


def make_remote(name: str, spec: dict[str, Any], channel: Any) -> RemoteBrowser:
    return RemoteBrowser(name, spec, channel)
