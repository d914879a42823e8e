"""Workers KV limits and the exact errors the runtime raises for them.

Two layers, as in production: checks workerd makes in the binding before any I/O (``TypeError`` for empty / ``.`` /
``..`` keys, a plain ``Error`` for over-long keys), and checks the KV service makes, which reach user code as
``KV <OP> failed: <status> <message>`` (:func:`server_error`). Texts are from
``reference/binding-semantics.md`` §1b.
"""

from __future__ import annotations

import json
import math
from typing import Any

from flarebind.errors import JsException

MAX_KEY_BYTES = 512
MAX_VALUE_BYTES = 25 * 1024 * 1024
MAX_METADATA_BYTES = 1024
MIN_EXPIRATION_TTL = 60
MIN_CACHE_TTL = 30
MAX_LIST_KEYS = 1000
MAX_BULK_KEYS = 100
MAX_BULK_BYTES = 25 * 1024 * 1024

GET_TYPES = ("text", "json", "arrayBuffer", "stream")
# the runtime's class name (JS ``KvNamespace``), as the Python Workers SDK names it in its TypeErrors
JS_CLASS = "KvNamespace"
NOT_ITERABLE = f"'{JS_CLASS}' object is not iterable"
NO_LEN = f"'{JS_CLASS}' object has no len()"
UNKNOWN_TYPE = 'Unknown response type. Possible types are "text", "arrayBuffer", "json", and "stream".'
UNSUPPORTED_VALUE = "KV put() accepts only strings, ArrayBuffers, ArrayBufferViews, and ReadableStreams as values."


def check_options(method: str, options: Any) -> None:
    """``put()`` / ``list()`` take their options as one object (here a dict) or as keyword arguments."""
    if options is not None and not isinstance(options, dict):
        raise TypeError(f"KV {method}() options must be an object (a dict) or keyword arguments.")


def server_error(op: str, status: int, message: str) -> JsException:
    """What workerd throws when the KV service answers non-2xx; the service puts its message in the status text."""
    return JsException(f"KV {op} failed: {status} {message[:512]}")


def usv(key: str) -> str:
    """The key as the runtime sees it: JS strings reach KV as UTF-8, lone surrogates become U+FFFD."""
    try:
        key.encode("utf-8")
    except UnicodeEncodeError:
        return key.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return key


def check_key_client(op: str, key: str) -> None:
    """workerd's own key checks (before any request): exact texts and error classes."""
    if key == "":
        raise TypeError("Key name cannot be empty.")
    if key == ".":
        raise TypeError('"." is not allowed as a key name.')
    if key == "..":
        raise TypeError('".." is not allowed as a key name.')
    if len(key) > MAX_KEY_BYTES // 4:
        # only long keys pay for the encode: 128 characters never exceed 512 UTF-8 bytes
        size = len(key.encode("utf-8"))
        if size > MAX_KEY_BYTES:
            raise JsException(f"KV {op} failed: 414 UTF-8 encoded length of {size} exceeds key length limit of 512.")


def check_key_server(op: str, key: str) -> None:
    """The KV service's key checks (reached by the bulk paths, which workerd does not check itself)."""
    if key == "":
        raise server_error(op, 400, "Key names must not be empty")
    if key in (".", ".."):
        raise server_error(op, 400, f'Illegal key name "{key}". Please use a different name.')
    check_key_length(op, key)


def check_key_length(op: str, key: str) -> None:
    if len(key) > MAX_KEY_BYTES // 4:
        size = len(key.encode("utf-8"))
        if size > MAX_KEY_BYTES:
            raise server_error(op, 414, f"UTF-8 encoded length of {size} exceeds key length limit of 512.")


def js_number_text(value: Any) -> str:
    """How JS prints a number in a URL parameter / message (``60``, ``1.5``, ``NaN``)."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if value.is_integer():
            return str(int(value))
    return str(value)


def to_int_option(name: str, value: Any) -> int:
    """Coerce a numeric option the way workerd's ``int`` options are coerced (truncation toward zero)."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return 0
        return int(value)
    if isinstance(value, str):
        try:
            return int(float(value.strip() or "0"))
        except ValueError:
            return 0
    raise TypeError(f"KV option {name} must be a number, not {type(value).__name__}.")


def check_cache_ttl(op: str, cache_ttl: Any) -> None:
    if cache_ttl is None:
        return
    ttl = to_int_option("cacheTtl", cache_ttl)
    if ttl < MIN_CACHE_TTL:
        raise server_error(op, 400, f"Invalid cache_ttl of {ttl}. Cache TTL must be at least {MIN_CACHE_TTL}.")


def put_expiration(now_s: int, expiration: Any, expiration_ttl: Any) -> int | None:
    """The absolute expiration (epoch seconds) for a put, validated like the service (``expirationTtl`` wins)."""
    if expiration_ttl is not None:
        ttl = to_int_option("expirationTtl", expiration_ttl)
        if ttl <= 0:
            raise server_error("PUT", 400, f"Invalid expiration_ttl of {ttl}. Please specify integer greater than 0.")
        if ttl < MIN_EXPIRATION_TTL:
            raise server_error(
                "PUT", 400, f"Invalid expiration_ttl of {ttl}. Expiration TTL must be at least {MIN_EXPIRATION_TTL}."
            )
        return now_s + ttl
    if expiration is not None:
        exp = to_int_option("expiration", expiration)
        if exp <= now_s:
            raise server_error(
                "PUT",
                400,
                f"Invalid expiration of {exp}. Please specify integer greater than the current number of seconds "
                "since the UNIX epoch.",
            )
        if exp < now_s + MIN_EXPIRATION_TTL:
            raise server_error(
                "PUT",
                400,
                f"Invalid expiration of {exp}. Expiration times must be at least {MIN_EXPIRATION_TTL} seconds in "
                "the future.",
            )
        return exp
    return None


def metadata_json(metadata: Any) -> str | None:
    """``JSON.stringify(metadata)`` (compact, non-ASCII kept), checked against the 1024-byte limit."""
    if metadata is None:
        return None
    try:
        text = json.dumps(metadata, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"KV put() metadata must be JSON-serializable: {exc}") from None
    size = len(text.encode("utf-8"))
    if size > MAX_METADATA_BYTES:
        raise server_error("PUT", 413, f"Metadata length of {size} exceeds limit of {MAX_METADATA_BYTES}.")
    return text


def value_too_large(size: int) -> JsException:
    return server_error("PUT", 413, f"Value length of {size} exceeds limit of {MAX_VALUE_BYTES}.")


def list_limit(limit: Any) -> int:
    """workerd drops ``limit <= 0`` (server default 1000); the service rejects more than 1000."""
    if limit is None:
        return MAX_LIST_KEYS
    n = to_int_option("limit", limit)
    if n <= 0:
        return MAX_LIST_KEYS
    if n > MAX_LIST_KEYS:
        raise server_error("GET", 400, f"Invalid key_count_limit of {n}. Please specify an integer less than 1000.")
    return n


def check_bulk(keys: list[Any], type_: str | None) -> None:
    """The service's bulk-get rules, in the order it applies them."""
    if type_ is not None and type_ not in ("text", "json"):
        raise server_error("GET_BULK", 400, f'"{type_}" is not a valid type. Use "json" or "text"')
    if len(keys) > MAX_BULK_KEYS:
        raise server_error("GET_BULK", 400, f"You can request a maximum of {MAX_BULK_KEYS} keys")
    if len(keys) < 1:
        raise server_error("GET_BULK", 400, "You must request a minimum of 1 key")


def parse_json_value(text: str) -> Any:
    """``JSON.parse`` semantics: strict JSON; failures raise a JS ``SyntaxError`` (as :class:`JsException`)."""
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except (json.JSONDecodeError, ValueError) as exc:
        raise JsException(_syntax_message(text, exc), name="SyntaxError") from None


def _reject_constant(name: str) -> Any:
    raise ValueError(name)


def _syntax_message(text: str, exc: Exception) -> str:
    # V8's wording: "Unexpected end of JSON input" / "Unexpected token 'x', "…" is not valid JSON"
    pos = getattr(exc, "pos", None)
    if not text.strip() or pos is None or pos >= len(text):
        return "Unexpected end of JSON input"
    shown = f'"{text}"' if len(text) <= 32 else f'"{text[:31]}"...'
    return f"Unexpected token '{text[pos]}', {shown} is not valid JSON"
