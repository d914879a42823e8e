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
    if len(parts) != 2 or parts[1] not in ("fetch", "rpc", "do-fetch", "do-rpc"):
        return JsResponse("Not found", status=404)
    worker, op = parts
    runtime = registry.lookup(worker)
    if runtime is None:
        return JsResponse(registry.not_found_message(worker), status=503)
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    if op.startswith("do-"):
        return await _serve_object(request, runtime, worker, op, query)
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


async def _serve_object(request: Any, runtime: Any, worker: str, op: str, query: dict[str, str]) -> Any:
    """A Durable Object of ``worker`` called from another process through a ``script_name`` binding."""
    from flarebind.runtime import serial
    from flarebind.runtime.durable_objects.foreign import owner_state
    from flarebind.runtime.durable_objects.ids import DurableObjectId
    from flarebind.runtime.durable_objects.migrations import check_class_name
    from flarebind.runtime.durable_objects.namespace import DurableObjectStub
    from flarebind.runtime.sdk.request import JsRequest
    from flarebind.runtime.sdk.response import JsResponse

    try:
        await runtime.ready
        state = owner_state(runtime, worker, check_class_name(query.get("class"), "dev-registry"))
        hex_id = state.ids.check(query.get("id"))
    except Exception as exc:
        return JsResponse(f"{type(exc).__name__}: {exc}", status=400)
    stub = DurableObjectStub(state, DurableObjectId(hex_id, query.get("name") or None, state))
    if op == "do-fetch":
        target = request.headers.get(URL_HEADER) or "http://localhost/"
        headers = [(k, v) for k, v in request.headers.raw_items() if k.lower() != URL_HEADER]
        body = bytes(await request.arrayBuffer()) if request.method not in ("GET", "HEAD") else None
        return await stub._fetch_js(JsRequest(target, method=request.method, headers=headers, body=body))
    steps = [(kind, tuple(arg) if kind == "call" else arg) for kind, arg in serial.loads(await request.text())]
    try:
        body = serial.dumps({"result": await stub._run_steps(steps)})
    except Exception as exc:
        body = serial.dumps({"error": {"name": type(exc).__name__, "message": str(exc)}})
    return JsResponse(body, headers={"content-type": "application/json"})


def _raise_remote(error: dict[str, Any]) -> None:
    import builtins

    from flarebind.runtime.services.rpc import clone_error

    kind = getattr(builtins, str(error["name"]), None)
    is_error = isinstance(kind, type) and issubclass(kind, Exception)
    raise clone_error(kind(error["message"]) if is_error else Exception(error["message"]))


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
            _raise_remote(answer["error"])
        return answer["result"]

    async def object_fetch(self, request: Any, target: dict[str, Any]) -> Any:
        """``stub.fetch`` to a Durable Object of this Worker (``target``: class, id, name)."""
        from flarebind.runtime.sdk.fetch import js_fetch

        query = urlencode({k: v for k, v in target.items() if v})
        headers = [(k, v) for k, v in request.headers.raw_items()] + [(URL_HEADER, request.url)]
        init: dict[str, Any] = {"method": request.method, "headers": headers}
        if request.method not in ("GET", "HEAD"):
            init["body"] = bytes(await request.arrayBuffer())
        return await js_fetch(f"{self.base}/do-fetch?{query}", init)

    async def object_call(self, steps: list[tuple[str, Any]], target: dict[str, Any]) -> Any:
        """An RPC chain (``stub.a(x).b``) to a Durable Object of this Worker, sent as one request."""
        from flarebind.runtime import serial
        from flarebind.runtime.sdk.fetch import js_fetch

        try:
            payload = serial.dumps([[kind, list(arg) if kind == "call" else arg] for kind, arg in steps])
        except serial.NotSerialisable as exc:
            raise TypeError(
                f"Cannot send this value to Worker {self.name!r} in another flarebind dev process: {exc}"
            ) from None
        query = urlencode({k: v for k, v in target.items() if v})
        response = await js_fetch(
            f"{self.base}/do-rpc?{query}",
            {"method": "POST", "body": payload, "headers": {"content-type": "application/json"}},
        )
        if response.status != 200:
            raise Exception(await response.text())
        answer = serial.loads(await response.text())
        if "error" in answer:
            _raise_remote(answer["error"])
        return answer["result"]
