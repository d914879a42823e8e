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

from flarebind.plugin import JsException

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
    if not key.isascii():
        try:
            key.encode("utf-8")
        except UnicodeEncodeError:
            # a lone surrogate travels as WTF-8 in the request URL, which the KV service cannot decode
            raise server_error(op, 400, "Could not URL-decode key name") from None
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


INT32_RANGE_ERROR = "Value out of range. Must be between -2147483648 and 2147483647 (inclusive)."
_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1


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
            number = float(value.strip() or "0")
        except ValueError:
            return 0
        return 0 if math.isnan(number) or math.isinf(number) else int(number)
    raise TypeError(f"KV option {name} must be a number, not {type(value).__name__}.")


def to_int32_option(name: str, value: Any) -> int:
    """``expiration`` / ``expirationTtl``: workerd converts them to a 32-bit int and throws outside its range
    (NaN and the infinities become 0 first, so ``"abc"`` reports ``0``, as workerd does)."""
    number = to_int_option(name, value)
    if not _INT32_MIN <= number <= _INT32_MAX:
        raise TypeError(INT32_RANGE_ERROR)
    return number


def check_cache_ttl(op: str, cache_ttl: Any) -> None:
    if cache_ttl is None:
        return
    ttl = to_int_option("cacheTtl", cache_ttl)
    if ttl < MIN_CACHE_TTL:
        raise server_error(op, 400, f"Invalid cache_ttl of {ttl}. Cache TTL must be at least {MIN_CACHE_TTL}.")


def put_expiration(now_s: int, expiration: Any, expiration_ttl: Any) -> int | None:
    """The absolute expiration (epoch seconds) for a put, validated like the service (``expirationTtl`` wins)."""
    if expiration_ttl is not None:
        ttl = to_int32_option("expirationTtl", expiration_ttl)
        if ttl <= 0:
            raise server_error("PUT", 400, f"Invalid expiration_ttl of {ttl}. Please specify integer greater than 0.")
        if ttl < MIN_EXPIRATION_TTL:
            raise server_error(
                "PUT", 400, f"Invalid expiration_ttl of {ttl}. Expiration TTL must be at least {MIN_EXPIRATION_TTL}."
            )
        return now_s + ttl
    if expiration is not None:
        exp = to_int32_option("expiration", expiration)
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
    _reject_bigints(metadata)
    try:
        text = json.dumps(metadata, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"KV put() metadata must be JSON-serializable: {exc}") from None
    size = len(text.encode("utf-8"))
    if size > MAX_METADATA_BYTES:
        raise server_error("PUT", 413, f"Metadata length of {size} exceeds limit of {MAX_METADATA_BYTES}.")
    return text


MAX_SAFE_INTEGER = 2**53 - 1


def _reject_bigints(metadata: Any) -> None:
    """A Python int beyond 2**53 - 1 reaches JavaScript as a BigInt, which ``JSON.stringify`` refuses."""
    pending = [metadata]
    while pending:
        value = pending.pop()
        if isinstance(value, int) and not isinstance(value, bool):
            if not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
                raise TypeError("Do not know how to serialize a BigInt")
        elif isinstance(value, dict):
            pending.extend(value.values())
        elif isinstance(value, (list, tuple)):
            pending.extend(value)


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
    """``JSON.parse`` semantics: strict JSON; failures raise a JS ``SyntaxError`` (as :class:`JsException`) worded
    as V8 words it."""
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, NaN/Infinity, or nesting beyond Python's stack
        from flarebind_kv.jsonerrors import v8_json_error

        message = v8_json_error(text)
        if message is None:  # valid JSON that only Python's recursive parser cannot take
            raise JsException(
                f"flarebind: this JSON value is nested too deeply for Python's parser ({type(exc).__name__})",
                name="RangeError",
            ) from None
        raise JsException(message, name="SyntaxError") from None


def _reject_constant(name: str) -> Any:
    raise ValueError(name)
