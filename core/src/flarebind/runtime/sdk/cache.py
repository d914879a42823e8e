"""``caches.default`` / ``caches.open(name)``: the Cache API, kept in memory for the life of the process.

Follows the Workers rules that matter locally: only ``GET`` requests are cached, ``put`` refuses 206 responses and
``Vary: *``, responses with ``Cache-Control: no-store`` / ``private`` or a ``Set-Cookie`` header are not stored,
``max-age`` / ``s-maxage`` / ``Expires`` set the lifetime, and ``match`` returns a fresh response (or ``None``).
"""

from __future__ import annotations

import re
import time
from email.utils import parsedate_to_datetime
from typing import Any

from flarebind.runtime.sdk.headers import Headers
from flarebind.runtime.sdk.request import JsRequest, Request
from flarebind.runtime.sdk.response import FetchResponse, JsResponse


def _key(request: Any) -> tuple[str, str]:
    if isinstance(request, Request):
        request = request.js_object
    if isinstance(request, JsRequest):
        return request.method, request.url
    return "GET", str(request)


def _lifetime(headers: Headers, now: float) -> float | None:
    """Seconds the response may be served from cache; None when it must not be stored."""
    control = (headers.get("cache-control") or "").lower()
    if "no-store" in control or "private" in control or headers.has("set-cookie"):
        return None
    for directive in ("s-maxage", "max-age"):
        match = re.search(rf"{directive}\s*=\s*(\d+)", control)
        if match:
            return float(match.group(1))
    expires = headers.get("expires")
    if expires:
        try:
            return parsedate_to_datetime(expires).timestamp() - now
        except (TypeError, ValueError):
            return 0.0
    return 3600.0 * 24 * 365  # no freshness information: kept until purged, as Cloudflare may


class Cache:
    def __init__(self, clock: Any = time.time) -> None:
        self._entries: dict[str, tuple[float, int, str, list[tuple[str, str]], bytes]] = {}
        self._clock = clock

    async def put(self, request: Any, response: Any) -> None:
        method, url = _key(request)
        if method != "GET":
            raise TypeError("Cannot cache response to non-GET request.")
        if isinstance(response, FetchResponse):
            response = response.js_response
        if not isinstance(response, JsResponse):
            raise TypeError("Cache.put() expects a Response")
        if response.status == 206:
            raise TypeError("Cannot cache response with status 206 Partial Content.")
        if (response.headers.get("vary") or "").strip() == "*":
            raise TypeError("Cannot cache response with 'Vary: *' header.")
        body = await response.bytes()
        now = self._clock()
        lifetime = _lifetime(response.headers, now)
        if lifetime is None or lifetime <= 0:
            return
        self._entries[url] = (now + lifetime, response.status, response.statusText, response.headers.raw_items(), body)

    async def match(self, request: Any, options: Any = None) -> JsResponse | None:
        method, url = _key(request)
        if method != "GET":
            return None
        entry = self._entries.get(url)
        if entry is None:
            return None
        expires, status, status_text, headers, body = entry
        if self._clock() >= expires:
            del self._entries[url]
            return None
        response = JsResponse(body, status=status, statusText=status_text, headers=headers)
        response.headers.set("cf-cache-status", "HIT")
        return response

    async def delete(self, request: Any, options: Any = None) -> bool:
        _, url = _key(request)
        return self._entries.pop(url, None) is not None


class CacheStorage:
    def __init__(self) -> None:
        self.default = Cache()
        self._named: dict[str, Cache] = {}

    async def open(self, name: str) -> Cache:
        return self._named.setdefault(name, Cache())


caches = CacheStorage()
