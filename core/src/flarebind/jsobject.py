"""Result values shaped like the Python Workers SDK's ``JsDict``: dicts that also allow attribute access."""

from __future__ import annotations

from typing import Any


class JsObject(dict):  # type: ignore[type-arg]
    """A ``dict`` whose keys are also attributes (``result["keys"]`` and ``result.keys_`` style access).

    Keys that collide with dict methods (``keys``, ``values``, ``items``…) are reachable as items, and as
    attributes only when the attribute is not a dict method — exactly the SDK's behaviour, where ``result.keys``
    is the dict method. Use ``result["keys"]`` for KV list results.
    """

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value: Any) -> None:
        self[name] = value

    def __delattr__(self, name: str) -> None:
        try:
            del self[name]
        except KeyError:
            raise AttributeError(name) from None


def js_object(value: Any) -> Any:
    """Recursively turn plain dicts (and dicts in lists) into :class:`JsObject`."""
    if isinstance(value, JsObject):
        return value
    if isinstance(value, dict):
        return JsObject({k: js_object(v) for k, v in value.items()})
    if isinstance(value, list):
        return [js_object(v) for v in value]
    return value
