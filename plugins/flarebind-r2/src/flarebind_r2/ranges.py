"""``range``: R2Range dicts (``{offset, length}``, ``{suffix}``) or a ``Range`` header, checked by the runtime's
rules and resolved against the object size by the service's (a resolved range is ``(start, end)`` inclusive)."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

import attrs

from flarebind_r2.errors import INVALID_RANGE, R2Error
from flarebind_r2.headers import HeaderView, is_headers
from flarebind_r2.validation import js_number

RANGE_FIELDS = frozenset({"offset", "length", "suffix"})
_PREFIX = re.compile(r"^ *bytes *=", re.IGNORECASE)
_ONE = re.compile(r"^ *(?P<start>\d+)? *- *(?P<end>\d+)? *$")


@attrs.frozen
class RangeRequest:
    offset: int | None = None
    length: int | None = None
    suffix: int | None = None
    header: str | None = None


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"Range values must be numbers, not {type(value).__name__}")
    return value


def _whole(value: float) -> bool:
    return math.isfinite(value) and float(value).is_integer()


def _range_int(raw: Any, label: str, negative: str = "Invalid range.") -> int:
    n = _number(raw)
    if n < 0:
        raise ValueError(f"{negative} {label} ({js_number(n)}) must be greater than or equal to 0.")
    if not _whole(n):
        raise ValueError(f"Invalid range. {label} ({js_number(n)}) must be an integer, not floating point.")
    return int(n)


def parse_range(value: Any) -> RangeRequest | None:
    """Validate a range option as the Workers runtime does before it sends the request."""
    if value is None:
        return None
    if is_headers(value, RANGE_FIELDS):
        header = HeaderView(value).get("range")
        return RangeRequest(header=header) if header is not None else None
    if not isinstance(value, Mapping):
        raise TypeError("range must be an R2Range dict or headers")
    offset = length = suffix = None
    if value.get("offset") is not None:
        offset = _range_int(value["offset"], "Starting offset")
    if value.get("length") is not None:
        length = _range_int(value["length"], "Length")
    if value.get("suffix") is not None:
        if value.get("offset") is not None:
            raise TypeError("Suffix is incompatible with offset.")
        if value.get("length") is not None:
            raise TypeError("Suffix is incompatible with length.")
        # the runtime words a negative suffix "Invalid suffix.", every other case "Invalid range."
        suffix = _range_int(value["suffix"], "Suffix", negative="Invalid suffix.")
    return RangeRequest(offset=offset, length=length, suffix=suffix)


def resolve_range(request: RangeRequest | None, size: int) -> tuple[int, int] | None:
    """The inclusive byte range to read, ``None`` for the whole object; raises 10039 when unsatisfiable."""
    if request is None:
        return None
    if request.header is not None:
        ranges = _parse_range_header(request.header, size)
        # one satisfiable range is served; several, none or a malformed header give the whole object
        return ranges[0] if ranges is not None and len(ranges) == 1 else None
    offset, length = request.offset, request.length
    if request.suffix is not None:
        if request.suffix <= 0:
            raise R2Error("get", INVALID_RANGE)
        suffix = min(request.suffix, size)
        offset, length = size - suffix, suffix
    if offset is None:
        offset = 0
    if length is None:
        length = size - offset
    if offset < 0 or offset > size or length <= 0:
        raise R2Error("get", INVALID_RANGE)
    length = min(length, size - offset)
    return offset, offset + length - 1


def _parse_range_header(header: str, size: int) -> list[tuple[int, int]] | None:
    match = _PREFIX.match(header)
    if match is None:
        return None
    rest = header[match.end() :]
    if rest.strip() == "":
        return []
    result: list[tuple[int, int]] = []
    for part in rest.split(","):
        m = _ONE.match(part)
        if m is None:
            return None
        start, end = m.group("start"), m.group("end")
        if start is not None and end is not None:
            first, last = int(start), int(end)
            if first > last or first >= size:
                return None
            result.append((first, min(last, size - 1)))
        elif start is not None:
            first = int(start)
            if first >= size:
                return None
            result.append((first, size - 1))
        elif end is not None:
            suffix = int(end)
            if suffix >= size:
                return []
            if suffix == 0:
                continue
            result.append((size - suffix, size - 1))
        else:
            return None
    return result
