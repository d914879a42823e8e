"""``/cdn-cgi/flarebind-service/<worker>/fetch`` and ``/rpc``: how another ``flarebind dev`` process reaches a Worker
of this one (the dev registry's transport), and the client side of it.

fetch: the original request is forwarded with its URL in ``X-Flarebind-Url`` (entrypoint and props as query
parameters); rpc: a POST of ``{"method", "args", "entrypoint", "props"}`` in flarebind's structured-clone JSON
(``flarebind.runtime.serial``), answered with ``{"result": …}`` or ``{"error": {"name", "message"}}``. Functions
cannot cross processes (a clear ``TypeError``).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urlsplit

PREFIX = "/cdn-cgi/flarebind-service/"
URL_HEADER = "x-flarebind-url"


async def serve(request: Any, fetch: Any) -> Any:
    """The ``cdn_cgi`` handler (registered by the default plugins)."""
    from flarebind.runtime import serial
    from flarebind.runtime.sdk.request import JsRequest
    from flarebind.runtime.sdk.response import JsResponse
    from flarebind.runtime.services import registry
    from flarebind.runtime.services.binding import ServiceBinding

    url = urlsplit(request.url)
    parts = url.path[len(PREFIX) :].split("/")
    if len(parts) != 2 or parts[1] not in ("fetch", "rpc"):
        return JsResponse("Not found", status=404)
    worker, op = parts
    runtime = registry.lookup(worker)
    if runtime is None:
        return JsResponse(registry.not_found_message(worker), status=503)
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    if op == "fetch":
        props = json.loads(query["props"]) if query.get("props") else None
        binding = ServiceBinding("dev-registry", worker, query.get("entrypoint") or None, props, runtime=runtime)
        target = request.headers.get(URL_HEADER) or "http://localhost/"
        headers = [(k, v) for k, v in request.headers.raw_items() if k.lower() != URL_HEADER]
        body = bytes(await request.arrayBuffer()) if request.method not in ("GET", "HEAD") else None
        forwarded = JsRequest(target, method=request.method, headers=headers, body=body)
        response = await binding.fetch(forwarded)
        return response.js_object
    call = serial.loads(await request.text())
    binding = ServiceBinding(
        "dev-registry", worker, call.get("entrypoint"), dict(call.get("props") or {}), runtime=runtime
    )
    try:
        result = await binding._call(call["method"], tuple(call.get("args") or ()), {})
        body = serial.dumps({"result": result})
    except Exception as exc:
        body = serial.dumps({"error": {"name": type(exc).__name__, "message": str(exc)}})
    return JsResponse(body, headers={"content-type": "application/json"})


class RemoteWorker:
    """Client side: a Worker found in the dev registry, reached over HTTP."""

    def __init__(self, name: str, entry: dict[str, Any]) -> None:
        self.name = name
        self.base = f"http://{entry['host']}:{entry['port']}{PREFIX}{quote(name)}"

    async def fetch(self, request: Any, entrypoint: str | None, props: dict[str, Any]) -> Any:
        from flarebind.runtime.sdk.fetch import js_fetch

        query = urlencode(
            {k: v for k, v in {"entrypoint": entrypoint, "props": json.dumps(props) if props else None}.items() if v}
        )
        headers = [(k, v) for k, v in request.headers.raw_items()] + [(URL_HEADER, request.url)]
        init: dict[str, Any] = {"method": request.method, "headers": headers}
        if request.method not in ("GET", "HEAD"):
            init["body"] = bytes(await request.arrayBuffer())
        return await js_fetch(f"{self.base}/fetch" + (f"?{query}" if query else ""), init)

    async def call(self, method: str, args: list[Any], entrypoint: str | None, props: dict[str, Any]) -> Any:
        from flarebind.runtime import serial
        from flarebind.runtime.sdk.fetch import js_fetch
        from flarebind.runtime.services.rpc import clone_error

        try:
            payload = serial.dumps({"method": method, "args": list(args), "entrypoint": entrypoint, "props": props})
        except serial.NotSerialisable as exc:
            raise TypeError(
                f"Cannot send this value to Worker {self.name!r} in another flarebind dev process: {exc}"
            ) from None
        response = await js_fetch(
            f"{self.base}/rpc", {"method": "POST", "body": payload, "headers": {"content-type": "application/json"}}
        )
        if response.status != 200:
            raise Exception(await response.text())
        answer = serial.loads(await response.text())
        if "error" in answer:
            error = answer["error"]
            import builtins

            kind = getattr(builtins, str(error["name"]), None)
            is_error = isinstance(kind, type) and issubclass(kind, Exception)
            exc = kind(error["message"]) if is_error else Exception(error["message"])
            raise clone_error(exc)
        return answer["result"]
