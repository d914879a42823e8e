"""Workflow durations: ``"10 seconds"``-style strings, or numbers of milliseconds (as the local engine reads them)."""

from __future__ import annotations

import datetime as _dt
import re
from typing import Any

_UNITS_MS = {
    "millisecond": 1,
    "second": 1000,
    "minute": 60_000,
    "hour": 3_600_000,
    "day": 86_400_000,
    "week": 7 * 86_400_000,
    "month": 30 * 86_400_000,
    "year": 365 * 86_400_000,
}
_PATTERN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-z]+?)s?\s*$")


def to_ms(value: Any, what: str = "duration") -> float:
    """Milliseconds for a duration: a number (ms), a ``timedelta``, or ``"<n> <unit>[s]"``."""
    if isinstance(value, bool):
        raise TypeError(f"invalid {what}: {value!r}")
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, _dt.timedelta):
        return value.total_seconds() * 1000
    if isinstance(value, str):
        m = _PATTERN.match(value.lower())
        if m and m.group(2) in _UNITS_MS:
            return float(m.group(1)) * _UNITS_MS[m.group(2)]
    raise TypeError(
        f'invalid {what}: {value!r} (use a number of milliseconds or a string such as "10 seconds"; '
        f"units: {', '.join(_UNITS_MS)})"
    )


def timestamp_ms(value: Any) -> float:
    """Milliseconds since the epoch for ``sleep_until``: a ``datetime`` (naive = local time) or a number (ms)."""
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None:
            value = value.astimezone()
        return value.timestamp() * 1000
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        return _dt.datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() * 1000
    raise TypeError(f"sleep_until() needs a datetime or a number of milliseconds since the epoch, got {value!r}")
