"""Outbound ``fetch``: JS-style (``js.fetch``), SDK-style (``workers.fetch``) and ``pyodide.http.pyfetch``.

httpx is imported on the first outbound request only, keeping it out of ``flarebind dev`` start-up.
"""

from __future__ import annotations

from typing import Any

from flarebind.runtime.sdk.request import JsRequest, Request, init_options
from flarebind.runtime.sdk.response import FetchResponse, JsResponse, Response


async def js_fetch(input: Any, init: Any = None, **kwargs: Any) -> JsResponse:
    """``fetch(input, init)`` as JS has it: returns a JS :class:`JsResponse`; network errors raise ``OSError``."""
    import httpx

    options = init_options(init)
    options.update(kwargs)
    cf = options.pop("cf", None)  # Cloudflare cache options have no local meaning; a plugin may handle some
    fetcher = options.pop("fetcher", None)
    request = JsRequest.new(input, options)
    from flarebind.runtime.websockets.socket import current_object

    record = current_object.get()
    if record is not None:  # the output gate: a subrequest leaves a Durable Object only once its writes are durable
        record.storage.flush()
    if fetcher is not None:
        return await fetcher(request)
    from flarebind.runtime.sdk.context import current_outbound

    outbound = current_outbound.get()
    if outbound is not None:  # this Worker's subrequests go through an outbound Worker (or are blocked)
        return await outbound(request)  # type: ignore[no-any-return]
    if (request.headers.get("upgrade") or "").lower() == "websocket":  # outbound WebSocket (websockets/client.py)
        from flarebind.runtime.websockets.client import fetch_upgrade

        return await fetch_upgrade(request)
    if cf:
        from flarebind.runtime import edge

        handled = edge.fetch_cf_handler(cf)
        if handled is not None:
            handler, cf_options = handled
            return await handler(request, cf_options, js_fetch)  # type: ignore[no-any-return]
    body = await request.bytes() if request._body is not None else None
    follow = request.redirect != "manual"
    try:
        async with httpx.AsyncClient(follow_redirects=follow) as client:
            reply = await client.request(request.method, request.url, headers=request.headers.raw_items(), content=body)
    except httpx.HTTPError as exc:
        raise OSError(f"fetch failed: {exc}") from exc
    headers = [
        (k, v)
        for k, v in reply.headers.multi_items()
        if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")
    ]
    response = JsResponse(
        None if reply.status_code in (101, 204, 205, 304) or request.method == "HEAD" else reply.content,
        status=reply.status_code,
        statusText=reply.reason_phrase,
        headers=headers,
        url=str(reply.url),
        redirected=bool(reply.history),
    )
    return response


async def fetch(resource: Any, /, **kwargs: Any) -> Response:
    """``workers.fetch(resource, **init)``: exactly one positional argument, options as keyword arguments."""
    if isinstance(resource, Request):
        resource = resource.js_object
    js = await js_fetch(resource, kwargs)
    return Response(js)


async def pyfetch(url: Any, **kwargs: Any) -> FetchResponse:
    """``pyodide.http.pyfetch(url, **init)`` returning a :class:`FetchResponse`."""
    js = await js_fetch(url, kwargs)
    return FetchResponse(str(url), js)
