"""KV namespaces: ``/storage/kv/namespaces[/{id}/keys | /{id}/values/{key} | /{id}/bulk/get]``."""

from __future__ import annotations

import json
from typing import Any

from flarebind.explorer.envelope import INVALID, Invalid, Reply, error, ok, query_number, type_name

KEY_NOT_FOUND = 10009
NAMESPACE_NOT_FOUND = 10013


def list_namespaces(res: Any, query: dict[str, str]) -> Reply:
    order = query.get("order", "id")
    direction = query.get("direction", "asc")
    items = [{"id": ns_id, "title": binding} for ns_id, binding in res.kv.items()]
    items.sort(key=lambda ns: ns["id"] if order == "id" else ns["title"], reverse=direction == "desc")
    return ok(items, {"count": len(items)})


async def list_keys(res: Any, ns_id: str, query: dict[str, str]) -> Reply:
    limit = query_number(query, "limit", 1000, low=10, high=1000)
    kv = _namespace(res, ns_id)
    if kv is None:
        return error(404, NAMESPACE_NOT_FOUND, "list keys: 'namespace not found'")
    options: dict[str, Any] = {"limit": limit}
    if query.get("prefix"):
        options["prefix"] = query["prefix"]
    if query.get("cursor"):
        options["cursor"] = query["cursor"]
    listed = await kv.list(options)
    keys = []
    for key in listed["keys"]:
        entry = {"name": key["name"]}
        if key.get("expiration") is not None:
            entry["expiration"] = key["expiration"]
        if key.get("metadata") is not None:
            entry["metadata"] = key["metadata"]
        keys.append(entry)
    return ok(keys, {"count": len(keys), "cursor": listed.get("cursor") or ""})


async def get_value(res: Any, ns_id: str, key: str) -> Reply:
    kv = _namespace(res, ns_id)
    if kv is None:
        return error(404, NAMESPACE_NOT_FOUND, "get: 'namespace not found'")
    value = await kv.get(key, "arrayBuffer")
    if value is None:
        return error(404, KEY_NOT_FOUND, "get: 'key not found'")
    return Reply(200, bytes(value))


async def put_value(
    res: Any, ns_id: str, key: str, headers: dict[str, str], body: bytes, query: dict[str, str]
) -> Reply:
    kv = _namespace(res, ns_id)
    if kv is None:
        return error(404, NAMESPACE_NOT_FOUND, "put: 'namespace not found'")
    value: Any = body
    metadata = None
    content_type = headers.get("content-type", "")
    if "multipart/form-data" in content_type:
        fields = _form(content_type, body)
        if "value" not in fields:
            return error(400, INVALID, "Missing value field")
        value = fields["value"]
        if "metadata" in fields:
            try:
                metadata = json.loads(fields["metadata"])
            except ValueError:
                return error(400, INVALID, "Invalid metadata JSON")
    options: dict[str, Any] = {}
    if metadata:
        options["metadata"] = metadata
    # Cloudflare's REST API takes expiration / expiration_ttl as query parameters (Miniflare's explorer ignores them)
    if query.get("expiration"):
        options["expiration"] = query_number(query, "expiration", 0, integer=True)
    if query.get("expiration_ttl"):
        options["expirationTtl"] = query_number(query, "expiration_ttl", 0, integer=True)
    await kv.put(key, value, options)
    return ok({})


async def delete_value(res: Any, ns_id: str, key: str) -> Reply:
    kv = _namespace(res, ns_id)
    if kv is None:
        return error(404, NAMESPACE_NOT_FOUND, "remove key: 'namespace not found'")
    await kv.delete(key)
    return ok({})


async def bulk_get(res: Any, ns_id: str, payload: Any) -> Reply:
    if not isinstance(payload, dict) or "keys" not in payload:
        raise Invalid("keys: Required")
    keys = payload["keys"]
    if not isinstance(keys, list):
        raise Invalid(f"keys: Expected array, received {type_name(keys)}")
    if len(keys) > 100:
        raise Invalid("keys: Array must contain at most 100 element(s)")
    for i, key in enumerate(keys):
        if not isinstance(key, str):
            raise Invalid(f"keys.{i}: Expected string, received {type_name(key)}")
        if len(key) > 512:
            raise Invalid(f"keys.{i}: String must contain at most 512 character(s)")
    kv = _namespace(res, ns_id)
    if kv is None:
        return error(404, NAMESPACE_NOT_FOUND, "bulk get keys: 'namespace not found'")
    found = await kv.get(keys) if keys else {}
    return ok({"values": {key: found.get(key) for key in keys}})


def _namespace(res: Any, ns_id: str) -> Any:
    binding = res.kv.get(ns_id)
    return None if binding is None else res.binding(binding)


def _form(content_type: str, body: bytes) -> dict[str, Any]:
    """The fields of a multipart/form-data body: text fields as str, file fields as bytes."""
    from email.parser import BytesParser
    from email.policy import HTTP

    message = BytesParser(policy=HTTP).parsebytes(
        b"content-type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    )
    fields: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if name is None:
            continue
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        fields[str(name)] = data if part.get_filename() else data.decode("utf-8", "replace")
    return fields
