"""JS ``Headers`` semantics (case-insensitive, ordered, comma-joined reads) and the SDK's ``HTTPMessage`` view."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from http.client import HTTPMessage
from typing import Any


def _js_string(value: Any) -> str:
    # JS stringifies header values: True -> "true", None -> "null", 123 -> "123"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    return str(value)


class JsMapAccess:
    """Python mapping access to a JS ``get/set/has/entries`` object (``Headers``, ``URLSearchParams``): iteration
    gives ``[name, value]`` entries, ``obj[name]`` raises ``KeyError`` where ``get`` gives ``None``."""

    def get(self, name: str) -> str | None:
        raise NotImplementedError

    def set(self, name: str, value: Any) -> None:
        raise NotImplementedError

    def has(self, name: str) -> bool:
        raise NotImplementedError

    def entries(self) -> Iterator[list[str]]:
        raise NotImplementedError

    def __iter__(self) -> Iterator[list[str]]:
        return self.entries()

    def __getitem__(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise KeyError(name)
        return value

    def __setitem__(self, name: str, value: Any) -> None:
        self.set(name, value)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.has(name)


class Headers(JsMapAccess):
    """A JS ``Headers`` object: ``get/set/append/delete/has``, mapping access, iteration over ``[name, value]``."""

    def __init__(self, init: Any = None) -> None:
        self._items: list[tuple[str, str]] = []
        if init is None:
            return
        if isinstance(init, Headers):
            self._items = list(init._items)
            return
        if isinstance(init, HTTPMessage):
            pairs: Iterable[Any] = init.items()
        elif isinstance(init, Mapping) or (hasattr(init, "items") and callable(init.items)):
            pairs = init.items()
        else:
            pairs = init
        for pair in pairs:
            name, value = pair
            self.append(name, value)

    @classmethod
    def new(cls, init: Any = None) -> Headers:
        return cls(init)

    def append(self, name: str, value: Any) -> None:
        self._items.append((str(name).lower(), _js_string(value).strip()))

    def set(self, name: str, value: Any) -> None:
        self.delete(name)
        self.append(name, value)

    def delete(self, name: str) -> None:
        key = str(name).lower()
        self._items = [(k, v) for k, v in self._items if k != key]

    def has(self, name: str) -> bool:
        key = str(name).lower()
        return any(k == key for k, _ in self._items)

    def get(self, name: str) -> str | None:
        key = str(name).lower()
        values = [v for k, v in self._items if k == key]
        if not values:
            return None
        return ", ".join(values)

    def getSetCookie(self) -> list[str]:
        return [v for k, v in self._items if k == "set-cookie"]

    def entries(self) -> Iterator[list[str]]:
        # JS iterates sorted by name, combining repeats except Set-Cookie
        seen: list[str] = sorted({k for k, _ in self._items})
        for name in seen:
            if name == "set-cookie":
                for value in self.getSetCookie():
                    yield [name, value]
            else:
                yield [name, self.get(name) or ""]

    def keys(self) -> Iterator[str]:
        for name, _ in self.entries():
            yield name

    def values(self) -> Iterator[str]:
        for _, value in self.entries():
            yield value

    def items(self) -> Iterator[tuple[str, str]]:
        yield from ((name, value) for name, value in self.entries())

    def raw_items(self) -> list[tuple[str, str]]:
        """Every header as added (repeats kept): what goes on the wire."""
        return list(self._items)

    def __delitem__(self, name: str) -> None:
        self.delete(name)

    def __len__(self) -> int:
        return len({k for k, _ in self._items})

    def to_py(self) -> dict[str, str]:
        return dict(self.items())

    def __repr__(self) -> str:
        return f"Headers({dict(self.items())!r})"


def to_http_message(headers: Headers, *, preserve_commas: bool = True) -> HTTPMessage:
    """The SDK's ``request.headers`` / ``response.headers``: a fresh ``HTTPMessage`` built from the JS headers.

    Before ``python_request_headers_preserve_commas`` the SDK split combined values on commas, one entry each.
    """
    message = HTTPMessage()
    for name, value in headers.entries():
        if preserve_commas or name == "set-cookie":
            message[name] = value
        else:
            for part in value.split(","):
                message[name] = part.strip()
    return message
