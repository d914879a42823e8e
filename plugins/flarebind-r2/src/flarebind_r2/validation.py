"""Argument checks with Cloudflare's exact texts: what the Workers runtime rejects before a request is sent
(TypeError / RangeError) and what the R2 service rejects (``R2Error`` with a v4 code)."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from flarebind_r2.errors import (
    INVALID_MAX_KEYS,
    INVALID_OBJECT_NAME,
    METADATA_TOO_LARGE,
    R2Error,
)

MAX_KEY_BYTES = 1024
MAX_LIST_KEYS = 1000
# Miniflare's limit on the summed length of custom metadata keys and values (the docs' 8 KiB is the total of all
# metadata; 2 KiB is what the simulator Cloudflare ships enforces for customMetadata, so local code fails the same way)
MAX_CUSTOM_METADATA = 2048
MAX_VALUE_SIZE = 5 * 1024**3 - 5 * 1024**2
MIN_PART_SIZE = 5 * 1024**2
MAX_PART_NUMBER = 10_000

# (option name, runtime name, digest size in bytes, hashlib name) in the order the runtime checks them
HASHES = (
    ("md5", "MD5", 16, "md5"),
    ("sha1", "SHA-1", 20, "sha1"),
    ("sha256", "SHA-256", 32, "sha256"),
    ("sha384", "SHA-384", 48, "sha384"),
    ("sha512", "SHA-512", 64, "sha512"),
)
_HEX = re.compile(r"[0-9a-fA-F]*")


def check_key(action: str, key: Any) -> str:
    """The key as R2 stores it (use the return value): a lone surrogate reaches R2 as its WTF-8 bytes, which the
    service decodes with U+FFFD for each invalid byte (``"a\\ud800"`` is stored as ``"a\\ufffd\\ufffd\\ufffd"``)."""
    if not isinstance(key, str):
        raise TypeError(f"{action}: R2 keys are strings, not {type(key).__name__}")
    try:
        size = len(key.encode("utf-8"))
    except UnicodeEncodeError:
        key = key.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
        size = len(key.encode("utf-8"))
    if size > MAX_KEY_BYTES:
        raise R2Error(action, INVALID_OBJECT_NAME)
    return key


def _serialised_length(text: str) -> int:
    # Miniflare counts a string twice when any character needs more than one byte in Latin-1
    return len(text) * 2 if any(ord(c) >= 256 for c in text) else len(text)


def normalize_custom_metadata(value: Any, options_type: str = "PutOptions") -> dict[str, str] | None:
    """``Record<string, string>`` as workerd converts it: every value becomes ``String(value)`` (``5`` -> ``"5"``,
    ``None`` -> ``"null"``, ``True`` -> ``"true"``, a dict -> ``"[object Object]"``), never Python's ``str()``."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise TypeError(
            f"Incorrect type for the 'customMetadata' field on '{options_type}': the provided value is not of type "
            "'object'."
        )
    return {_usv(js_string(k)): _usv(js_string(v)) for k, v in value.items()}


def _usv(text: str) -> str:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    return text


def check_custom_metadata(action: str, metadata: Mapping[str, str] | None) -> None:
    if not metadata:
        return
    total = sum(_serialised_length(k) + _serialised_length(v) for k, v in metadata.items())
    if total > MAX_CUSTOM_METADATA:
        raise R2Error(action, METADATA_TOO_LARGE)


def parse_hashes(options: Mapping[str, Any]) -> tuple[str, str, bytes] | None:
    """The one checksum given as ``md5=``…``sha512=`` (bytes-like or hex), as (option, runtime name, digest)."""
    chosen: tuple[str, str, bytes] | None = None
    for option, name, size, _ in HASHES:
        value = options.get(option)
        if value is None:
            continue
        if chosen is not None:
            raise TypeError("You cannot specify multiple hashing algorithms.")
        if isinstance(value, str):
            if len(value) != size * 2:
                raise TypeError(f"{name} is {size * 2} hex characters, not {len(value)}")
            if not _HEX.fullmatch(value):
                raise TypeError(f"Provided {name} wasn't a valid hex string")
            digest = bytes.fromhex(value)
        elif isinstance(value, (bytes, bytearray, memoryview)):
            digest = bytes(value)
            if len(digest) != size:
                raise TypeError(f"{name} is {size} bytes, not {len(digest)}")
        else:
            raise TypeError(f"{option} must be an ArrayBuffer (bytes) or a hex string")
        chosen = (option, name, digest)
    return chosen


def check_list_limit(limit: Any) -> int:
    if limit is None:
        return MAX_LIST_KEYS
    if isinstance(limit, bool) or not isinstance(limit, (int, float)) or limit < 1 or limit > MAX_LIST_KEYS:
        raise R2Error("list", INVALID_MAX_KEYS)
    return int(limit)


def check_include(include: Any) -> list[str] | None:
    if include is None:
        return None
    fields = []
    for value in include:
        if value not in ("httpMetadata", "customMetadata"):
            raise ValueError(f"Unsupported include value {value}")
        fields.append(value)
    return fields


def check_part_number(part_number: Any) -> int:
    if isinstance(part_number, bool) or not isinstance(part_number, int) or not 1 <= part_number <= MAX_PART_NUMBER:
        raise TypeError(
            f"Part number must be between 1 and 10000 (inclusive). Actual value was: {js_number(part_number)}"
        )
    return part_number


def js_number(value: Any) -> str:
    """A number the way JavaScript prints it (``1``, ``-1``, ``1.5``, ``1e+21``, ``NaN``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        if value.is_integer() and abs(value) < 1e21:
            return str(int(value))
        text = repr(value)
        if "e" in text:
            mantissa, exponent = text.split("e")
            sign = "-" if exponent.startswith("-") else "+"
            return f"{mantissa.removesuffix('.0')}e{sign}{exponent.lstrip('+-').lstrip('0') or '0'}"
        return text
    return str(value)


def js_string(value: Any) -> str:
    """``String(value)`` of the JS value a Python Worker's argument becomes."""
    if isinstance(value, str):
        return value
    if value is None:
        return "null"
    if isinstance(value, (bool, int, float)):
        return js_number(value)
    if isinstance(value, (list, tuple)):
        return ",".join("" if v is None else js_string(v) for v in value)
    return "[object Object]"
