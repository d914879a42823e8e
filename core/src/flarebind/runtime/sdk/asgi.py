"""``asgi.fetch(app, request, env, ctx=None)``: run an ASGI 3 app (FastAPI, Starlette…) for one Worker request.

As the SDK does, every request runs a full lifespan (startup, the request, shutdown), copies lifespan state into
``scope["state"]``, and adds ``scope["env"]``.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any
from urllib.parse import unquote, urlsplit

from flarebind.runtime.sdk.body import ReadableStream
from flarebind.runtime.sdk.request import JsRequest, Request
from flarebind.runtime.sdk.response import JsResponse

# the SDK's logger name: an exception raised after the app sent its response is logged there, not raised
logger = logging.getLogger("asgi")


def _js_request(req: Any) -> JsRequest:
    if isinstance(req, Request):
        return req.js_object
    if isinstance(req, JsRequest):
        return req
    raise TypeError(f"asgi.fetch() expects a workers.Request or a JS Request, got {type(req).__name__}")


async def _lifespan(app: Any, state: dict[str, Any]) -> tuple[asyncio.Queue[dict[str, Any]], asyncio.Task[Any], bool]:
    receive_queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    sent: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    async def receive() -> dict[str, Any]:
        return await receive_queue.get()

    async def send(message: dict[str, Any]) -> None:
        await sent.put(message)

    scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}, "state": state}

    async def run() -> None:
        try:
            await app(scope, receive, send)
        except Exception:
            # an app without lifespan support may raise on this scope; the spec says to carry on without it
            await sent.put({"type": "lifespan.unsupported"})

    task = asyncio.ensure_future(run())
    await receive_queue.put({"type": "lifespan.startup"})
    message = await sent.get()
    if message["type"] == "lifespan.startup.failed":
        raise RuntimeError(f"ASGI lifespan startup failed: {message.get('message', '')}")
    return receive_queue, task, message["type"] == "lifespan.startup.complete"


async def fetch(app: Any, req: Any, env: Any, ctx: Any = None, *, options: Any = None) -> JsResponse:
    request = _js_request(req)
    state: dict[str, Any] = {}
    lifespan_queue, lifespan_task, lifespan_ok = await _lifespan(app, state)

    async def shutdown() -> None:
        if lifespan_ok:
            await lifespan_queue.put({"type": "lifespan.shutdown"})
        try:
            await asyncio.wait_for(lifespan_task, timeout=5)
        except (asyncio.TimeoutError, Exception):
            lifespan_task.cancel()

    try:
        response, streaming = await _http(app, request, env, state, shutdown)
    except BaseException:
        await shutdown()
        raise
    if not streaming:
        await shutdown()
    return response


async def _http(
    app: Any, request: JsRequest, env: Any, state: dict[str, Any], shutdown: Any
) -> tuple[JsResponse, bool]:
    """Run the app for one request. A response sent in one body message is returned buffered; one sent in several
    (``StreamingResponse``, server-sent events) is returned at once as a stream the app keeps feeding."""
    url = urlsplit(request.url)
    body = await request.bytes() if request._body is not None else b""
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in request.headers.raw_items()]
    port = url.port or (443 if url.scheme == "https" else 80)
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.0"},
        "http_version": "1.1",
        "method": request.method,
        "scheme": url.scheme or "http",
        "path": unquote(url.path or "/"),
        "raw_path": (url.path or "/").encode(),
        "query_string": url.query.encode(),
        "root_path": "",
        "headers": headers,
        "server": (url.hostname or "localhost", port),
        "client": ("127.0.0.1", 0),
        "env": env,
        "state": dict(state),
    }
    sent_body = False
    disconnect = asyncio.Event()

    async def receive() -> dict[str, Any]:
        nonlocal sent_body
        if not sent_body:
            sent_body = True
            return {"type": "http.request", "body": body, "more_body": False}
        await disconnect.wait()
        return {"type": "http.disconnect"}

    start: dict[str, Any] = {}
    chunks: list[bytes] = []
    streaming = False
    ready = asyncio.Event()
    queue: asyncio.Queue[bytes | None] = asyncio.Queue()

    async def send(message: dict[str, Any]) -> None:
        nonlocal streaming
        if message["type"] == "http.response.start":
            start.update(message)
            return
        if message["type"] != "http.response.body":
            return
        chunk = message.get("body", b"")
        more = message.get("more_body", False)
        if streaming:
            if chunk:
                await queue.put(chunk)
            if not more:
                await queue.put(None)
        elif more:
            streaming = True
            if chunk:
                await queue.put(chunk)
            ready.set()
        else:
            chunks.append(chunk)
            ready.set()

    app_task = asyncio.ensure_future(app(scope, receive, send))
    app_task.add_done_callback(lambda _: queue.put_nowait(None))  # ends the stream even if the app fails
    waiter = asyncio.ensure_future(ready.wait())
    await asyncio.wait({app_task, waiter}, return_when=asyncio.FIRST_COMPLETED)
    if not ready.is_set() or not start:
        waiter.cancel()
        disconnect.set()
        if app_task.done():
            app_task.result()  # the app's own exception
        else:
            app_task.cancel()
        raise RuntimeError("the ASGI app finished without sending a response")
    response_headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in start.get("headers", [])]
    status = int(start["status"])
    if not streaming:
        try:
            await app_task
        except Exception:
            # the framework already answered (Starlette sends its 500, then re-raises): keep that response
            logger.exception("Exception in ASGI application after response started")
        finally:
            disconnect.set()
        data = b"".join(chunks)
        return JsResponse(None if status in NULL_BODY else data, status=status, headers=response_headers), False

    async def stream() -> Any:
        try:
            while True:
                chunk = await queue.get()
                if chunk is None:
                    break
                yield chunk
            if app_task.done() and not app_task.cancelled() and app_task.exception() is not None:
                logger.error("Exception in ASGI application after response started", exc_info=app_task.exception())
        finally:
            disconnect.set()
            if not app_task.done():
                app_task.cancel()
            await shutdown()

    return JsResponse(ReadableStream(stream()), status=status, headers=response_headers), True


NULL_BODY = (101, 103, 204, 205, 304)


async def websocket(app: Any, req: Any, env: Any = None) -> Any:
    """``asgi.websocket``: bridging an ASGI WebSocket needs ``WebSocketPair``, which flarebind does not have yet."""
    raise NotImplementedError(
        "asgi.websocket() is not available in flarebind yet: it needs js.WebSocketPair (WebSockets are not simulated "
        "by this version)"
    )


def entrypoint(app: Any, *, options: Any = None) -> type:
    """``asgi.entrypoint(app)``: a ``Default`` WorkerEntrypoint class serving ``app`` (WebSocket upgrades included)."""
    from flarebind.runtime.sdk.entrypoints import WorkerEntrypoint

    class Default(WorkerEntrypoint):  # type: ignore[misc, valid-type]
        async def fetch(self, request: Any) -> Any:
            if (request.headers.get("upgrade") or "").lower() == "websocket":
                return await websocket(app, request, self.env)
            return await fetch(app, request, self.env, self.ctx, options=options)

    return Default


async def env(request: Any) -> Any:
    """A FastAPI dependency yielding ``scope["env"]`` (``Depends(asgi.env)``)."""
    return request.scope["env"]
