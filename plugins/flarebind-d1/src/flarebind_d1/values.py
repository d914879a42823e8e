"""Value conversion between Python and D1, as a Python Worker sees it.

A Python Worker reaches D1 through Pyodide: Python values become JS values (``int`` beyond 2**53 becomes a
``BigInt``, ``None`` null, ``bytes`` a ``Uint8Array``, lists arrays), D1's ``bind`` then accepts numbers, strings,
null and byte arrays, and the result travels back as JSON-like JS values that Pyodide turns into Python again
(a JS number that is a safe integer becomes ``int``, any other number ``float``; a BLOB arrives as a list of ints).
"""

from __future__ import annotations

import datetime as _dt
import math
from typing import Any

from flarebind_d1.errors import type_error

MAX_SAFE_INTEGER = 2**53 - 1


def bind_value(value: Any) -> Any:
    """One bound value in the form sqlite3 takes, or raise ``D1_TYPE_ERROR`` exactly as D1 words it."""
    t = type(value)
    if t is str or value is None:
        return value
    if t is int:
        if -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            return value
        raise type_error("bigint", str(value))  # Pyodide converts it to a BigInt, which D1 refuses
    if t is float:
        # params travel as JSON, where NaN and ±Infinity become null
        return value if math.isfinite(value) else None
    if t is bool:
        return 1 if value else 0
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, (list, tuple)):
        if all(type(b) is int and 0 <= b < 256 for b in value):
            return bytes(value)
        raise type_error("object", js_string(value))
    if isinstance(value, int):  # int subclasses (IntEnum…) behave as numbers
        return bind_value(int(value))
    if isinstance(value, float):
        return bind_value(float(value))
    if isinstance(value, str):
        return str(value)
    raise type_error("function" if callable(value) else "object", js_string(value))


def bind_values(values: tuple[Any, ...]) -> tuple[Any, ...]:
    """``values`` as sqlite3 takes them; the common case (text, safe ints, finite floats, None) passes untouched."""
    for v in values:
        t = type(v)
        if t is str or v is None or (t is int and -MAX_SAFE_INTEGER <= v <= MAX_SAFE_INTEGER):
            continue
        if t is float and v - v == 0:  # finite
            continue
        return tuple(map(bind_value, values))
    return values


def js_string(value: Any) -> str:
    """``String(value)`` of the JS value Pyodide would make of ``value`` (for D1_TYPE_ERROR texts)."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, (int, float)):
        return js_number(value)
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)):
        # Array.prototype.join: null/undefined elements print as empty strings
        return ",".join("" if v is None else js_string(v) for v in value)
    if isinstance(value, dict):
        return "[object Object]"
    if isinstance(value, _dt.datetime):
        return js_date_string(value)
    return str(value)


def js_number(value: float) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    return repr(value)


def js_date_string(value: _dt.datetime) -> str:
    """``Date.prototype.toString`` in UTC, the zone Workers run in."""
    if value.tzinfo is not None:
        value = value.astimezone(_dt.timezone.utc)
    return value.strftime("%a %b %d %Y %H:%M:%S") + " GMT+0000 (Coordinated Universal Time)"


def _read_value(v: Any) -> Any:
    t = type(v)
    if t is bytes:
        return list(v)
    if t is float:
        return int(v) if v.is_integer() and -MAX_SAFE_INTEGER <= v <= MAX_SAFE_INTEGER else v
    if t is int and not -MAX_SAFE_INTEGER <= v <= MAX_SAFE_INTEGER:
        return float(v)  # a JS number: precision is lost above 2**53, as on D1
    return v


def read_rows(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Rows as a Python Worker receives them: BLOB → list of ints, numbers normalised the way Pyodide does.

    The scan is written for the common case (text, NULL and safe integers): such rows are returned untouched.
    """
    for index, row in enumerate(rows):
        for v in row:
            t = type(v)
            if t is str or v is None:
                continue
            if t is int and -MAX_SAFE_INTEGER <= v <= MAX_SAFE_INTEGER:
                continue
            return rows[:index] + [_read_row(r) for r in rows[index:]]
    return rows


def _read_row(row: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(_read_value(v) for v in row)
