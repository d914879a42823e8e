"""The ASGI app ``flarebind dev`` serves: HTTP in, the Worker's fetch handler, HTTP out.

Also the trigger endpoints wrangler dev offers: ``/cdn-cgi/handler/scheduled?cron=…&time=…`` (always) and
``/__scheduled?cron=…`` (with ``--test-scheduled``).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs

from flarebind.jsobject import JsObject
from flarebind.runtime import edge
from flarebind.runtime.assets import asgi as _assets
from flarebind.runtime.sdk.body import ReadableStream
from flarebind.runtime.sdk.request import JsRequest
from flarebind.runtime.sdk.response import JsResponse

SCHEDULED_PATH = "/cdn-cgi/handler/scheduled"
LEGACY_SCHEDULED_PATH = "/cdn-cgi/mf/scheduled"
TEST_SCHEDULED_PATH = "/__scheduled"
EXPLORER_PATH = "/cdn-cgi/explorer"


_PHRASES = {status.value: status.phrase for status in HTTPStatus}


def _phrase(status: int) -> str:
    return _PHRASES.get(status, "")


class RuntimeApp:
    """ASGI 3 app over a :class:`~flarebind.runtime.runtime.Runtime` (looked up per request, so it can be swapped)."""

    def __init__(
        self,
        runtime: Any,
        *,
        test_scheduled: bool = False,
        log: Callable[[str], None] | None = None,
        access_log: bool = True,
    ) -> None:
        self.runtime = runtime
        self.test_scheduled = test_scheduled
        self.log = log or _BatchedStdout().write
        self.access_log = access_log
        # a `flarebind state restore/import/reset` under this server is seen by the next request (flarebind.state)
        from flarebind.state.live import StateWatch

        self.state_watch = StateWatch(runtime)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] == "websocket":
            await self._websocket(scope, receive, send)
            return
        if scope["type"] != "http":
            return
        started = time.perf_counter()
        await self.state_watch.check(self.runtime)
        path = scope.get("path", "/")
        query = scope.get("query_string", b"").decode("latin-1")
        if path in (SCHEDULED_PATH, LEGACY_SCHEDULED_PATH) or (self.test_scheduled and path == TEST_SCHEDULED_PATH):
            response = await self._scheduled(path, query)
        elif path == EXPLORER_PATH or path.startswith(EXPLORER_PATH + "/"):
            # the local explorer, its API and page (flarebind.explorer; the Workflows API included)
            from flarebind.explorer.asgi import serve_dev

            status = await serve_dev(self.runtime, scope, receive, send)
            self._log_access(scope, path, status, started)
            return
        elif path.startswith(edge.CDN_CGI_PREFIX) and (handler := edge.cdn_cgi_handler(path)) is not None:
            # a plugin serves this edge path (/cdn-cgi/image/… by flarebind-images)
            response = await edge.serve_cdn_cgi(handler, self.runtime, self._request(scope, receive))
        elif (assets := getattr(self.runtime, "assets", None)) is not None and (
            found := _assets.route(assets, scope)
        ) is not None:
            # static assets: answered here, before (and without) the Worker's Python request handling
            await _assets.send(scope, send, found)
            if self.access_log:
                self.log(f"[flarebind:info] {scope['method']} {path} {found.status} {_phrase(found.status)} (asset)")
            return
        else:
            response = await self.runtime.handle_fetch(self._request(scope, receive))
        await self._send(scope, send, response)
        self._log_access(scope, path, response.status, started)

    def _log_access(self, scope: dict[str, Any], path: str, status: int, started: float) -> None:
        if self.access_log:
            ms = (time.perf_counter() - started) * 1000
            self.log(f"[flarebind:info] {scope['method']} {path} {status} {_phrase(status)} ({ms:.0f}ms)")

    async def _websocket(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """An upgrade request: the Worker answers it like any fetch (``websockets/asgi.py`` bridges a 101)."""
        from flarebind.runtime.websockets.asgi import serve_websocket

        started = time.perf_counter()
        http_scope = {**scope, "method": "GET", "scheme": "https" if scope.get("scheme") == "wss" else "http"}
        response = await self.runtime.handle_fetch(self._request(http_scope, receive))
        status = await serve_websocket(scope, receive, send, response)
        if self.access_log:
            ms = (time.perf_counter() - started) * 1000
            self.log(f"[flarebind:info] GET {scope.get('path', '/')} {status} {_phrase(status)} ({ms:.0f}ms)")

    def _request(self, scope: dict[str, Any], receive: Any) -> JsRequest:
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope.get("headers", [])]
        host = next((v for k, v in headers if k == "host"), None)
        if host is None:
            server = scope.get("server") or ("127.0.0.1", 8787)
            host = f"{server[0]}:{server[1]}"
        raw_path = scope.get("raw_path") or scope.get("path", "/").encode()
        query = scope.get("query_string", b"")
        url = f"{scope.get('scheme', 'http')}://{host}{raw_path.decode('latin-1')}"
        if query:
            url += "?" + query.decode("latin-1")
        method = scope["method"]
        has_body = method not in ("GET", "HEAD") and any(
            (k == "content-length" and v.strip() != "0") or k == "transfer-encoding" for k, v in headers
        )
        body = ReadableStream(_receive_body(receive)) if has_body else None
        from flarebind.runtime.runtime import LOCAL_CF

        return JsRequest(url, method=method, headers=headers, body=body, cf=JsObject(LOCAL_CF))

    async def _scheduled(self, path: str, query: str) -> JsResponse:
        params = parse_qs(query)
        cron = params.get("cron", [""])[0]
        when = params.get("time", [None])[0]
        outcome = await self.runtime.dispatch_scheduled(cron=cron, scheduled_time=float(when) if when else None)
        if path == TEST_SCHEDULED_PATH:
            return JsResponse("Ran scheduled event")
        return JsResponse(outcome, status=200 if outcome == "ok" else 500)

    async def _send(self, scope: dict[str, Any], send: Any, response: JsResponse) -> None:
        headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in response.headers.raw_items()]
        body = response._body
        if isinstance(body, bytes) and not any(k == b"content-length" for k, _ in headers):
            headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": response.status, "headers": headers})
        if scope["method"] == "HEAD" or body is None:
            await send({"type": "http.response.body", "body": b""})
            return
        if isinstance(body, bytes):
            await send({"type": "http.response.body", "body": body})
            return
        async for chunk in body:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b""})


class _BatchedStdout:
    """Access-log lines, written in batches: one write per ~20 ms instead of a flushed write per request (it is a
    measurable share of a trivial request), still prompt enough for a person watching the terminal."""

    def __init__(self, delay: float = 0.02) -> None:
        self.delay = delay
        self.pending: list[str] = []

    def write(self, line: str) -> None:
        import asyncio

        self.pending.append(line)
        if len(self.pending) == 1:
            try:
                asyncio.get_running_loop().call_later(self.delay, self.flush)
            except RuntimeError:
                self.flush()

    def flush(self) -> None:
        import sys

        if self.pending:
            lines, self.pending = self.pending, []
            sys.stdout.write("\n".join(lines) + "\n")
            sys.stdout.flush()


async def _receive_body(receive: Any) -> AsyncIterator[bytes]:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        chunk = message.get("body", b"")
        if chunk:
            yield chunk
        if not message.get("more_body", False):
            return
