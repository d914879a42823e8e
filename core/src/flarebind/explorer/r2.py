"""R2 buckets: ``/r2/buckets``, ``/r2/buckets/{bucket}/objects[/{key}]`` (list, get, head, put, bulk delete)."""

from __future__ import annotations

import datetime as dt
import json
from email.utils import format_datetime
from typing import Any

from flarebind.explorer.envelope import INVALID, Invalid, Reply, error, ok, query_number, type_name

BUCKET_NOT_FOUND = 10006
OBJECT_NOT_FOUND = 10007
_HTTP_FIELDS = ("contentType", "contentLanguage", "contentDisposition", "contentEncoding", "cacheControl")


def _iso(when: dt.datetime) -> str:
    return when.astimezone(dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _http_metadata(meta: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if not meta:
        return out
    for name in _HTTP_FIELDS:
        if meta.get(name) is not None:
            out[name] = meta.get(name)
    if meta.get("cacheExpiry") is not None:
        out["cacheExpiry"] = _iso(meta.get("cacheExpiry"))
    return out


def describe(obj: Any, *, listing: bool) -> dict[str, Any]:
    """An object as the explorer shows it (list entries and ``cf-metadata-only`` heads differ in field order)."""
    common = {"key": obj.key, "etag": obj.etag}
    if listing:
        common.update(size=obj.size, last_modified=_iso(obj.uploaded))
    else:
        common.update(last_modified=_iso(obj.uploaded), size=obj.size)
    common["http_metadata"] = _http_metadata(obj.httpMetadata)
    common["custom_metadata"] = dict(obj.customMetadata or {})
    return common


def list_buckets(res: Any) -> Reply:
    buckets = sorted(({"name": name} for name in res.r2), key=lambda b: b["name"])
    return ok({"buckets": buckets}, {"count": len(buckets)})


async def list_objects(res: Any, bucket: str, query: dict[str, str]) -> Reply:
    per_page = query_number(query, "per_page", 1000, integer=True)
    r2 = _bucket(res, bucket)
    if r2 is None:
        return error(404, BUCKET_NOT_FOUND, "list objects: 'bucket not found'")
    options: dict[str, Any] = {"limit": per_page}
    for name in ("prefix", "delimiter", "cursor"):
        if query.get(name):
            options[name] = query[name]
    listed = await r2.list(options)
    info: dict[str, Any] = {"delimited": list(listed["delimitedPrefixes"])}
    if listed["truncated"]:
        info["cursor"] = listed["cursor"]
    info["is_truncated"] = "true" if listed["truncated"] else "false"
    return ok([describe(o, listing=True) for o in listed["objects"]], info)


async def get_object(res: Any, bucket: str, key: str, headers: dict[str, str]) -> Reply:
    r2 = _bucket(res, bucket)
    if r2 is None:
        return error(404, BUCKET_NOT_FOUND, "get: 'bucket not found'")
    if headers.get("cf-metadata-only") == "true":
        head = await r2.head(key)
        if head is None:
            return error(404, OBJECT_NOT_FOUND, "head: 'object not found'")
        return ok(describe(head, listing=False))
    obj = await r2.get(key)
    if obj is None:
        return error(404, OBJECT_NOT_FOUND, "get: 'object not found'")
    out: dict[str, str] = {}
    if obj.httpMetadata and obj.httpMetadata.get("contentType"):
        out["content-type"] = obj.httpMetadata.get("contentType")
    out["content-length"] = str(obj.size)
    out["etag"] = obj.etag
    out["last-modified"] = format_datetime(obj.uploaded.astimezone(dt.timezone.utc), usegmt=True)
    for name, value in (obj.customMetadata or {}).items():
        out[f"x-r2-custom-metadata-{name}"] = value
    return Reply(200, obj.body, out)  # streamed from the blob store


async def put_object(res: Any, bucket: str, key: str, headers: dict[str, str], body: Any) -> Reply:
    r2 = _bucket(res, bucket)
    if r2 is None:
        return error(404, BUCKET_NOT_FOUND, "put: 'bucket not found'")
    options: dict[str, Any] = {}
    if headers.get("content-type"):
        options["httpMetadata"] = {"contentType": headers["content-type"]}
    if headers.get("cf-r2-custom-metadata"):
        try:
            options["customMetadata"] = json.loads(headers["cf-r2-custom-metadata"])
        except ValueError:
            return error(400, INVALID, "Invalid custom metadata JSON")
    obj = await r2.put(key, body, options)
    return ok({"key": obj.key, "etag": obj.etag, "size": obj.size, "version": obj.version})


async def delete_objects(res: Any, bucket: str, payload: Any) -> Reply:
    if not isinstance(payload, list):
        raise Invalid(f"Expected array, received {type_name(payload)}")
    for i, key in enumerate(payload):
        if not isinstance(key, str):
            raise Invalid(f"{i}: Expected string, received {type_name(key)}")
    if not payload:
        return error(400, INVALID, "Request body must be a non-empty array of keys")
    r2 = _bucket(res, bucket)
    if r2 is None:
        return error(404, BUCKET_NOT_FOUND, "delete: 'bucket not found'")
    await r2.delete(payload)
    return ok([{"key": key} for key in payload])


def _bucket(res: Any, bucket: str) -> Any:
    binding = res.r2.get(bucket)
    return None if binding is None else res.binding(binding)
