"""Serving the explorer over ASGI: inside ``flarebind dev`` (one dispatch point in the runtime's app) and alone
(``flarebind explorer``, :func:`standalone_app`).

Writes are guarded against other web pages: a state-changing request that comes from a browser (it carries an
``Origin`` header) must come from the explorer's own origin and carry the page's token
(``x-flarebind-explorer-token``). Tools and agents (no ``Origin``) are served as Miniflare serves them, and
responses are readable cross-origin only by loopback origins.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from flarebind.explorer import API_PREFIX, PAGE_PREFIX
from flarebind.explorer.envelope import Reply, error

TOKEN_HEADER = "x-flarebind-explorer-token"
FORBIDDEN = 10000
_SAFE = ("GET", "HEAD", "OPTIONS")
_LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")

# one token per process: the page embeds it, a page from another origin cannot read it
TOKEN = secrets.token_urlsafe(24)


def _headers(scope: dict[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for k, v in scope.get("headers", []):
        out[k.decode("latin-1").lower()] = v.decode("latin-1")
    return out


def _write_refusal(method: str, headers: dict[str, str]) -> Reply | None:
    if method in _SAFE or ("origin" not in headers and "sec-fetch-site" not in headers):
        return None
    origin = headers.get("origin", "")
    same_origin = (
        urlsplit(origin).netloc == headers.get("host") if origin else headers.get("sec-fetch-site") == "same-origin"
    )
    if not same_origin:
        return error(
            403, FORBIDDEN, f"Cross-origin write refused: {origin or 'a cross-site page'} is not the explorer's origin."
        )
    if not secrets.compare_digest(headers.get(TOKEN_HEADER, ""), TOKEN):
        return error(
            403, FORBIDDEN, f"Missing or wrong {TOKEN_HEADER}: writes from a browser must come from the explorer page."
        )
    return None


async def _body(receive: Any) -> AsyncIterator[bytes]:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        if message.get("body"):
            yield message["body"]
        if not message.get("more_body", False):
            return


async def answer(resources: Callable[[], Awaitable[Any]], scope: dict[str, Any], receive: Any) -> Reply:
    """The explorer's answer to one HTTP request under ``/cdn-cgi/explorer``."""
    from flarebind.explorer.app import Request, dispatch

    method = scope["method"]
    path = (scope.get("raw_path") or scope["path"].encode()).decode("latin-1").split("?", 1)[0]
    headers = _headers(scope)
    if not path.startswith(API_PREFIX + "/") and path != API_PREFIX:
        from flarebind.explorer.page import serve_page

        return serve_page(path[len(PAGE_PREFIX) :], TOKEN)
    refusal = _write_refusal(method, headers)
    if refusal is not None:
        return refusal
    has_body = method not in ("GET", "HEAD")
    request = Request(
        method,
        path[len(API_PREFIX) :],
        scope.get("query_string", b"").decode("latin-1"),
        headers,
        _body(receive) if has_body else b"",
    )
    reply = await dispatch(await resources(), request)
    origin = headers.get("origin")
    if origin and urlsplit(origin).hostname not in _LOOPBACK:
        reply.headers.pop("access-control-allow-origin", None)
    return reply


async def send(scope: dict[str, Any], send_: Any, reply: Reply) -> None:
    headers = [(k.encode("latin-1"), str(v).encode("latin-1")) for k, v in reply.headers.items()]
    body = reply.body
    if isinstance(body, (bytes, bytearray)) and "content-length" not in reply.headers:
        headers.append((b"content-length", str(len(body)).encode()))
    await send_({"type": "http.response.start", "status": reply.status, "headers": headers})
    if scope["method"] == "HEAD" or isinstance(body, (bytes, bytearray)):
        if scope["method"] == "HEAD" and hasattr(body, "cancel"):
            await body.cancel()
        await send_({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else bytes(body)})
        return
    async for chunk in body:
        await send_({"type": "http.response.body", "body": bytes(chunk), "more_body": True})
    await send_({"type": "http.response.body", "body": b""})


def runtime_resources(runtime: Any) -> Callable[[], Awaitable[Any]]:
    """The resources of a running ``flarebind dev`` session (rebuilt bindings are picked up per request)."""
    from flarebind.explorer.resources import Resources

    async def get() -> Resources:
        await runtime.ready
        config = getattr(runtime, "config", None)
        name = str(config.name) if config is not None and config.name else runtime.main.stem
        return Resources(worker=name, specs=runtime._specs, env=runtime._env, runtime=runtime)

    return get


async def serve_dev(runtime: Any, scope: dict[str, Any], receive: Any, send_: Any) -> int:
    """``flarebind dev``'s dispatch point for ``/cdn-cgi/explorer…``; returns the status for the access log."""
    reply = await answer(runtime_resources(runtime), scope, receive)
    await send(scope, send_, reply)
    return reply.status


def standalone_app(resources: Any) -> Any:
    """An ASGI app serving only the explorer, for ``flarebind explorer`` (``/`` redirects to the page)."""

    async def get() -> Any:
        return resources

    async def app(scope: dict[str, Any], receive: Any, send_: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send_({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send_({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            await send_({"type": "websocket.close", "code": 1011})
            return
        path = scope["path"]
        if path == PAGE_PREFIX or path.startswith(PAGE_PREFIX + "/"):
            reply = await answer(get, scope, receive)
        elif path == "/":
            reply = Reply(302, b"", {"location": PAGE_PREFIX + "/"})
        else:
            reply = Reply(404, b"404 Not Found", {"content-type": "text/plain; charset=UTF-8"})
        await send(scope, send_, reply)

    return app
