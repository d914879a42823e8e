"""The Browser binding as a Worker sees it: a Fetcher serving the Browser Rendering endpoints on local Chromium.

Paths as Miniflare's browser-rendering worker serves them (the host is ignored):

- ``GET /v1/acquire[?keep_alive=ms]`` -> ``{sessionId}`` (a new Chromium)
- ``GET /v1/connectDevtools?browser_session=ID`` with ``Upgrade: websocket`` -> 101 and ``response.webSocket``
  (length-framed DevTools messages, see :mod:`flarebind_browser.sessions`)
- ``GET /v1/sessions`` -> ``{sessions: [{sessionId, startTime, connectionId?, connectionStartTime?}]}``
- ``GET /v1/history`` -> closed sessions, newest first; ``GET /v1/limits`` -> the limits
- ``POST /v1/devtools/browser`` (acquire), ``GET /v1/devtools/session[/ID]``, ``DELETE /v1/devtools/browser/ID``,
  ``GET /v1/devtools/browser/ID/json/version|list``
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

from flarebind.plugin import js_object

from flarebind_browser.sessions import SessionManager, TooManySessions

_SESSION_PATH = re.compile(r"^/v1/devtools/(browser|session)/([^/]+)(/json(?:/(version|list))?)?$")


class BrowserResponse:
    """A ``Response`` from the binding: ``status``, ``headers``, ``json()`` / ``text()`` / ``bytes()``, and
    ``webSocket`` for a 101 answer."""

    def __init__(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None, web_socket: Any = None):
        self.status = status
        self.statusText = {101: "Switching Protocols", 200: "OK", 400: "Bad Request", 404: "Not Found"}.get(status, "")
        self.headers = {k.lower(): v for k, v in (headers or {}).items()}
        self._body = body
        self.webSocket = web_socket
        self.bodyUsed = False

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    async def bytes(self) -> bytes:
        if self.bodyUsed:
            raise TypeError(
                "Body has already been used. It can only be used once. Use tee() first if you need to read it twice."
            )
        self.bodyUsed = True
        return self._body

    arrayBuffer = bytes

    async def text(self) -> str:
        return (await self.bytes()).decode("utf-8", "replace")

    async def json(self) -> Any:
        return js_object(json.loads(await self.text()))


def _json(value: Any, status: int = 200) -> BrowserResponse:
    return BrowserResponse(status, json.dumps(value).encode(), {"content-type": "application/json"})


def _text(text: str, status: int) -> BrowserResponse:
    return BrowserResponse(status, text.encode(), {"content-type": "text/plain;charset=UTF-8"})


TOO_MANY = "Unable to create new browser: code: 429: message: Too many browsers already running"


class BrowserBinding:
    """``env.BROWSER``: ``fetch`` is the whole API (puppeteer and :mod:`flarebind_browser.helper` build on it)."""

    def __init__(self, binding: str, manager: SessionManager) -> None:
        self._binding = binding
        self._manager = manager

    def __repr__(self) -> str:
        return f"<Browser {self._binding} (local Chromium)>"

    async def fetch(self, input: Any, init: Any = None, /, **kwargs: Any) -> BrowserResponse:
        options = {**dict(init or {}), **kwargs}
        url = urlsplit(str(getattr(input, "url", input)))
        method = str(options.get("method") or getattr(input, "method", None) or "GET").upper()
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        path = url.path.rstrip("/") or "/"
        manager = self._manager

        if (path == "/v1/acquire" and method == "GET") or (path == "/v1/devtools/browser" and method == "POST"):
            keep = query.get("keep_alive")
            try:
                session = await manager.acquire(int(keep) if keep else None)
            except ValueError:
                return _text("keep_alive must be a number of milliseconds", 400)
            except TooManySessions:
                return _text(TOO_MANY, 429)
            return _json({"sessionId": session.id})
        if path == "/v1/connectDevtools" and method == "GET":
            session_id = query.get("browser_session")
            if not session_id:
                return _text("browser_session must be set", 400)
            try:
                socket = await manager.connect(session_id)
            except KeyError:
                return _json({"error": "Browser not found"}, 404)
            except ConnectionError as exc:
                return _text(str(exc), 409)
            return BrowserResponse(101, headers={"cf-browser-session-id": session_id}, web_socket=socket)
        if path == "/v1/sessions" and method == "GET":
            return _json({"sessions": manager.active()})
        if path == "/v1/devtools/session" and method == "GET":
            return _json(manager.active())
        if path == "/v1/limits" and method == "GET":
            limits = manager.limits()
            return _json(
                {k: v for k, v in limits.items() if k != "activeSessions"}
                | {"activeSessions": limits["activeSessions"]}
            )
        if path == "/v1/history" and method == "GET":
            return _json(manager.history)
        found = _SESSION_PATH.match(path)
        if found:
            kind, session_id, json_part, json_what = found.groups()
            session = manager.sessions.get(session_id)
            if kind == "session" and not json_part and method == "GET":
                return _json(session.info()) if session else _json({"error": "Session not found"}, 404)
            if kind == "browser" and not json_part and method == "DELETE":
                await manager.close(session_id)
                return _json({"status": "closed"})
            if kind == "browser" and json_part and method == "GET":
                if session is None:
                    return _json({"error": "Browser not found"}, 404)
                return await _chrome_json(session.chrome.http_base, "/json/" + (json_what or "list"))
        return _json({"error": f"Not found: {method} {path}"}, 404)


async def _chrome_json(base: str, path: str) -> BrowserResponse:
    """Chromium's own ``/json/*`` endpoint, read over its HTTP server on 127.0.0.1."""
    import asyncio
    import urllib.request

    def get() -> bytes:
        with urllib.request.urlopen(base + path, timeout=30) as reply:
            return reply.read()

    return BrowserResponse(200, await asyncio.to_thread(get), {"content-type": "application/json"})
