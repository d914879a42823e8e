"""Headers arguments: the runtime accepts a ``Headers`` object wherever R2 takes onlyIf, range or httpMetadata.

In Python a headers object is anything header-like (``workers.Headers``, ``httpx.Headers``, ``email.message``, a
list of pairs) or a mapping whose keys are not the option's own field names (``{"If-Match": '"abc"'}``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


def is_headers(value: Any, option_fields: frozenset[str]) -> bool:
    if isinstance(value, Mapping):
        # an empty mapping is an empty options dict; one using the option's field names is the options form
        return bool(value) and not any(k in option_fields for k in value)
    return hasattr(value, "items") or (isinstance(value, Iterable) and not isinstance(value, (str, bytes)))


class HeaderView:
    """Case-insensitive, read-only access to any headers-like value."""

    def __init__(self, value: Any) -> None:
        self._items: dict[str, str] = {}
        if isinstance(value, Mapping):
            pairs: Iterable[Any] = value.items()
        elif hasattr(value, "items"):
            pairs = value.items()
        else:
            pairs = value
        for name, item in pairs:
            key = str(name).lower()
            # repeated headers combine with ", " as the Fetch Headers class does
            self._items[key] = f"{self._items[key]}, {item}" if key in self._items else str(item)

    def get(self, name: str) -> str | None:
        return self._items.get(name.lower())
