"""``workers.wsgi.fetch(app, request, env, ctx=None)``: run a WSGI app (Flask, Django) for one Worker request.

The app runs in a worker thread, so blocking code (and ``pyodide.ffi.run_sync`` calls into bindings) does not stall
the event loop that serves other requests.
"""

from __future__ import annotations

import asyncio
import io
import sys
from typing import Any
from urllib.parse import unquote, urlsplit

from flarebind.runtime.sdk.asgi import _js_request
from flarebind.runtime.sdk.response import JsResponse


async def fetch(app: Any, req: Any, env: Any, ctx: Any = None, *, options: Any = None) -> JsResponse:
    request = _js_request(req)
    body = await request.bytes() if request._body is not None else b""
    url = urlsplit(request.url)
    environ: dict[str, Any] = {
        "REQUEST_METHOD": request.method,
        "SCRIPT_NAME": "",
        "PATH_INFO": unquote(url.path or "/"),
        "QUERY_STRING": url.query,
        "SERVER_NAME": url.hostname or "localhost",
        "SERVER_PORT": str(url.port or (443 if url.scheme == "https" else 80)),
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": url.scheme or "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "workers.env": env,
        "CONTENT_LENGTH": str(len(body)) if body else "",
    }
    for name, value in request.headers.raw_items():
        key = name.upper().replace("-", "_")
        if key == "CONTENT_TYPE":
            environ["CONTENT_TYPE"] = value
        elif key == "CONTENT_LENGTH":
            continue
        else:
            http_key = f"HTTP_{key}"
            environ[http_key] = f"{environ[http_key]},{value}" if http_key in environ else value

    def call() -> tuple[str, list[tuple[str, str]], bytes]:
        started: dict[str, Any] = {}

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            if exc_info and started:
                raise exc_info[1].with_traceback(exc_info[2])
            started["status"] = status
            started["headers"] = headers
            return lambda data: chunks.append(data)

        chunks: list[bytes] = []
        result = app(environ, start_response)
        try:
            for chunk in result:
                chunks.append(chunk)
        finally:
            close = getattr(result, "close", None)
            if close:
                close()
        return started["status"], started["headers"], b"".join(chunks)

    status_line, headers, data = await asyncio.to_thread(call)
    code, _, reason = status_line.partition(" ")
    status = int(code)
    return JsResponse(
        None if status in (101, 103, 204, 205, 304) else data, status=status, statusText=reason, headers=headers
    )


def entrypoint(app: Any, *, options: Any = None) -> type:
    """``wsgi.entrypoint(app)``: a ``Default`` WorkerEntrypoint class serving the WSGI ``app``."""
    from flarebind.runtime.sdk.entrypoints import WorkerEntrypoint

    class Default(WorkerEntrypoint):  # type: ignore[misc, valid-type]
        async def fetch(self, request: Any) -> Any:
            return await fetch(app, request, self.env, options=options)

    return Default
