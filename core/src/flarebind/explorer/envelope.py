"""Cloudflare's response envelope and the explorer's error codes, as Miniflare's explorer answers them."""

from __future__ import annotations

import json
from typing import Any

# Miniflare's generic codes: 10000 for an uncaught error, 10001 for invalid input
INTERNAL = 10000
INVALID = 10001


class Reply:
    """An HTTP answer: status, headers and a body (bytes, or an async iterable of bytes for streamed objects)."""

    __slots__ = ("body", "headers", "status")

    def __init__(self, status: int, body: Any = b"", headers: dict[str, str] | None = None) -> None:
        self.status = status
        self.body = body
        self.headers = dict(headers or {})


def as_json(status: int, payload: Any) -> Reply:
    return Reply(status, json.dumps(payload, separators=(",", ":")).encode(), {"content-type": "application/json"})


def ok(result: Any, result_info: Any = None) -> Reply:
    payload: dict[str, Any] = {"success": True, "errors": [], "messages": [], "result": result}
    if result_info is not None:
        payload["result_info"] = result_info
    return as_json(200, payload)


def error(status: int, code: int, message: str) -> Reply:
    return as_json(
        status, {"success": False, "errors": [{"code": code, "message": message}], "messages": [], "result": None}
    )


def invalid(*messages: str) -> Reply:
    """A request that failed validation: 400 with one 10001 error per problem (Miniflare's validation hook)."""
    errors = [{"code": INVALID, "message": m} for m in messages]
    return as_json(400, {"success": False, "errors": errors, "messages": [], "result": None})


def not_found() -> Reply:
    # an unknown route: the router's plain-text answer
    return Reply(404, b"404 Not Found", {"content-type": "text/plain; charset=UTF-8"})


class Invalid(Exception):
    """Raised by the validators below; the router answers it with :func:`invalid`."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Malformed(Exception):
    """A JSON body that does not parse (Miniflare answers 500 / 10000 "Malformed JSON in request body")."""


def query_number(
    query: dict[str, str],
    name: str,
    default: int,
    *,
    low: int | None = None,
    high: int | None = None,
    integer: bool = False,
) -> int:
    """A numeric query parameter checked as Miniflare's schema does, with its messages."""
    raw = query.get(name)
    if raw is None:
        return default
    try:
        value = float(raw) if raw.strip() else 0.0
    except ValueError:
        raise Invalid(f'{name}: Expected query param to be number but received "{raw}"') from None
    if integer and value != int(value):
        raise Invalid(f"{name}: Expected integer, received float")
    if low is not None and value < low:
        raise Invalid(f"{name}: Number must be greater than or equal to {low}")
    if high is not None and value > high:
        raise Invalid(f"{name}: Number must be less than or equal to {high}")
    return int(value)


def _is_json(content_type: str) -> bool:
    base = content_type.split(";", 1)[0].strip().lower()
    return base.startswith("application/") and base.endswith("json")


def json_body(headers: dict[str, str], body: bytes) -> Any:
    """The request's JSON body; ``{}`` when it is not sent as JSON (the router's JSON validator does the same)."""
    if not _is_json(headers.get("content-type", "")):
        return {}
    try:
        return json.loads(body)
    except ValueError:
        raise Malformed("Malformed JSON in request body") from None


def type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"
