"""The ASGI fast path: an asset request is answered from the ASGI scope, no Request object, no Worker."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flarebind.runtime.assets.server import AssetResponse, AssetServer


def route(server: AssetServer, scope: dict[str, Any]) -> AssetResponse | None:
    headers: dict[str, str] = {}
    for k, v in scope.get("headers", []):
        headers[k.decode("latin-1")] = v.decode("latin-1")
    host = headers.get("host")
    if host is None:
        srv = scope.get("server") or ("127.0.0.1", 8787)
        host = f"{srv[0]}:{srv[1]}"
    raw = scope.get("raw_path")
    path = raw.decode("latin-1") if raw else scope.get("path", "/")
    if "?" in path:
        path = path.split("?", 1)[0]
    query = scope.get("query_string", b"").decode("latin-1")
    return server.route(scope["method"], path, host, f"?{query}" if query else "", headers)


async def send(scope: dict[str, Any], send: Any, response: AssetResponse) -> None:
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in response.headers]
    if not any(k.lower() == "content-length" for k, _ in response.headers):
        headers.append((b"content-length", str(len(response.body)).encode()))
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else response.body})
