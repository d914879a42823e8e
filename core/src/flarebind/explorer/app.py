"""The explorer API's router: ``/cdn-cgi/explorer/api/<route>`` to the resource modules, with Miniflare's CORS
answers, validation errors and error envelope. Independent of the server (see :mod:`flarebind.explorer.asgi`)."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl, unquote

from flarebind.explorer import API_PREFIX, d1, kv, r2, workers, workflows
from flarebind.explorer.envelope import INTERNAL, Invalid, Malformed, Reply, error, invalid, json_body, not_found

_SEGMENT = "([^/]+)"


def _route(pattern: str) -> re.Pattern[str]:
    return re.compile("^" + pattern.replace("{}", _SEGMENT) + "$")


class Request:
    """What a handler needs: method, API path (after ``/cdn-cgi/explorer/api``), query, headers, body."""

    def __init__(self, method: str, path: str, query: str, headers: dict[str, str], body: Any) -> None:
        self.method = method
        self.path = path
        self.raw_query = query
        self.query = dict(parse_qsl(query, keep_blank_values=True))
        self.headers = headers
        self.body = body  # bytes, or an async iterable of bytes (R2 uploads are streamed)

    async def read(self) -> bytes:
        if isinstance(self.body, (bytes, bytearray)):
            return bytes(self.body)
        chunks = [chunk async for chunk in self.body]
        self.body = b"".join(chunks)
        return self.body


Handler = Callable[[Any, Request, list[str]], Awaitable[Reply]]


async def _kv_keys(res: Any, req: Request, p: list[str]) -> Reply:
    return await kv.list_keys(res, p[0], req.query)


async def _kv_get(res: Any, req: Request, p: list[str]) -> Reply:
    return await kv.get_value(res, p[0], p[1])


async def _kv_put(res: Any, req: Request, p: list[str]) -> Reply:
    return await kv.put_value(res, p[0], p[1], req.headers, await req.read(), req.query)


async def _kv_delete(res: Any, req: Request, p: list[str]) -> Reply:
    return await kv.delete_value(res, p[0], p[1])


async def _kv_bulk(res: Any, req: Request, p: list[str]) -> Reply:
    return await kv.bulk_get(res, p[0], json_body(req.headers, await req.read()))


async def _kv_namespaces(res: Any, req: Request, p: list[str]) -> Reply:
    return kv.list_namespaces(res, req.query)


async def _d1_list(res: Any, req: Request, p: list[str]) -> Reply:
    return d1.list_databases(res, req.query)


async def _d1_raw(res: Any, req: Request, p: list[str]) -> Reply:
    return await d1.raw(res, p[0], json_body(req.headers, await req.read()))


async def _d1_query(res: Any, req: Request, p: list[str]) -> Reply:
    return await d1.query(res, p[0], json_body(req.headers, await req.read()))


async def _r2_buckets(res: Any, req: Request, p: list[str]) -> Reply:
    return r2.list_buckets(res)


async def _r2_list(res: Any, req: Request, p: list[str]) -> Reply:
    return await r2.list_objects(res, p[0], req.query)


async def _r2_get(res: Any, req: Request, p: list[str]) -> Reply:
    return await r2.get_object(res, p[0], p[1], req.headers)


async def _r2_put(res: Any, req: Request, p: list[str]) -> Reply:
    return await r2.put_object(res, p[0], p[1], req.headers, req.body)


async def _r2_delete(res: Any, req: Request, p: list[str]) -> Reply:
    return await r2.delete_objects(res, p[0], json_body(req.headers, await req.read()))


async def _local_workers(res: Any, req: Request, p: list[str]) -> Reply:
    return workers.local_workers(res)


async def _durable_objects(res: Any, req: Request, p: list[str]) -> Reply:
    # Durable Objects land in flarebind.runtime.durable_objects later; until then say so instead of a bare 404
    return error(
        501,
        INTERNAL,
        "Durable Objects are not simulated by this flarebind yet, so the explorer cannot list or query them "
        "(/workers/durable_objects/namespaces…).",
    )


async def _workflows(res: Any, req: Request, p: list[str]) -> Reply:
    return await workflows.handle_explorer(res, req.method, req.path, req.raw_query, await req.read())


ROUTES: list[tuple[str, re.Pattern[str], Handler]] = [
    ("GET", _route("/storage/kv/namespaces"), _kv_namespaces),
    ("GET", _route("/storage/kv/namespaces/{}/keys"), _kv_keys),
    ("GET", _route("/storage/kv/namespaces/{}/values/{}"), _kv_get),
    ("PUT", _route("/storage/kv/namespaces/{}/values/{}"), _kv_put),
    ("DELETE", _route("/storage/kv/namespaces/{}/values/{}"), _kv_delete),
    ("POST", _route("/storage/kv/namespaces/{}/bulk/get"), _kv_bulk),
    ("GET", _route("/d1/database"), _d1_list),
    ("POST", _route("/d1/database/{}/raw"), _d1_raw),
    ("POST", _route("/d1/database/{}/query"), _d1_query),
    ("GET", _route("/r2/buckets"), _r2_buckets),
    ("GET", _route("/r2/buckets/{}/objects"), _r2_list),
    ("GET", _route("/r2/buckets/{}/objects/{}"), _r2_get),
    ("PUT", _route("/r2/buckets/{}/objects/{}"), _r2_put),
    ("DELETE", _route("/r2/buckets/{}/objects"), _r2_delete),
    ("GET", _route("/local/workers"), _local_workers),
    ("*", re.compile(r"^/workers/durable_objects/namespaces(/.*)?$"), _durable_objects),
    ("*", re.compile(r"^/workflows(/.*)?$"), _workflows),
]

CORS_PREFLIGHT = {
    "access-control-allow-methods": "GET, POST, PUT, PATCH, DELETE, OPTIONS",
    "access-control-allow-headers": "Content-Type, cf-metadata-only, cf-r2-custom-metadata",
    "access-control-max-age": "86400",
}


async def dispatch(res: Any, req: Request) -> Reply:
    """Answer one API request (``req.path`` is relative to :data:`API_PREFIX`)."""
    if req.method == "OPTIONS":
        return Reply(204, b"", {"access-control-allow-origin": req.headers.get("origin", "*"), **CORS_PREFLIGHT})
    # route on the raw (percent-encoded) path so an encoded "/" stays inside a key
    for method, pattern, handler in ROUTES:
        if method not in ("*", req.method) and not (method == "GET" and req.method == "HEAD"):
            continue
        match = pattern.match(req.path)
        if match is None:
            continue
        params = [unquote(g) for g in match.groups() if g is not None]
        try:
            reply = await handler(res, req, params)
        except Invalid as exc:
            reply = invalid(exc.message)
        except Malformed as exc:
            reply = error(500, INTERNAL, str(exc))
        except Exception as exc:  # Miniflare's onError: any uncaught error is 500 / 10000 with its message
            reply = error(500, INTERNAL, str(exc))
        break
    else:
        reply = not_found()
    if "origin" in req.headers:
        reply.headers["access-control-allow-origin"] = req.headers["origin"]
    return reply


__all__ = ["API_PREFIX", "ROUTES", "Request", "dispatch"]
