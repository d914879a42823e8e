"""The raw-FFI view of ``env`` that legacy ``on_fetch(request, env)`` handlers (without ``@handler``) get.

In that mode workerd hands Python the JS objects themselves: binding results are ``JsProxy`` values that code turns
into Python with ``.to_py()``, and ``pyodide.ffi.jsnull`` stands for JS ``null`` in arguments. This wrapper gives the
same binding objects those two habits: dict / list results gain ``to_py()``, and ``jsnull`` arguments become ``None``.
"""

from __future__ import annotations

import inspect
from typing import Any

from flarebind.jsobject import JsObject
from flarebind.runtime.sdk.jsapi import jsnull

_PLAIN = (str, bytes, int, float, bool, type(None))


class LegacyDict(JsObject):
    """A result object as a ``JsProxy``: attribute and item access, and ``to_py()`` for a plain dict."""

    __slots__ = ()

    def to_py(self, **kwargs: Any) -> dict[str, Any]:
        return {k: _plain(v) for k, v in self.items()}


class LegacyList(list):  # type: ignore[type-arg]
    def to_py(self, **kwargs: Any) -> list[Any]:
        return [_plain(v) for v in self]


def _plain(value: Any) -> Any:
    to_py = getattr(value, "to_py", None)
    return to_py() if isinstance(value, (LegacyDict, LegacyList)) and callable(to_py) else value


def as_js(value: Any) -> Any:
    """A binding result as legacy code sees it."""
    if isinstance(value, (*_PLAIN, LegacyDict, LegacyList, LegacyObject)):
        return value
    if isinstance(value, dict):
        return LegacyDict({k: as_js(v) for k, v in value.items()})
    if isinstance(value, list):
        return LegacyList(as_js(v) for v in value)
    if type(value).__module__.partition(".")[0].startswith("flarebind"):
        # binding objects and what they return (statements, R2 objects): keep converting along the chain
        return LegacyObject(value)
    return value


def _arg(value: Any) -> Any:
    if value is jsnull:
        return None
    if isinstance(value, LegacyObject):
        return value._target
    if isinstance(value, list):
        return [_arg(v) for v in value]
    if isinstance(value, dict):
        return {k: _arg(v) for k, v in value.items()}
    return value


async def _awaited(awaitable: Any) -> Any:
    return as_js(await awaitable)


class LegacyObject:
    """Wraps a binding (or an object a binding returned, like a D1 statement) so method results convert."""

    __slots__ = ("_target",)

    def __init__(self, target: Any) -> None:
        object.__setattr__(self, "_target", target)

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._target, name)
        if not callable(value) or inspect.isclass(value):
            return as_js(value)

        def call(*args: Any, **kwargs: Any) -> Any:
            result = value(*(_arg(a) for a in args), **{k: _arg(v) for k, v in kwargs.items()})
            if inspect.isawaitable(result):
                return _awaited(result)
            return as_js(result)

        return call

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._target, name, value)

    def __getitem__(self, key: Any) -> Any:
        return as_js(self._target[key])

    def __aiter__(self) -> Any:
        return self._target.__aiter__()

    def __bool__(self) -> bool:
        return True

    def __repr__(self) -> str:
        return f"JsProxy({self._target!r})"


class LegacyEnv:
    """``env`` for legacy handlers: text vars as ``str``, everything else wrapped as above."""

    __slots__ = ("_env",)

    def __init__(self, env: Any) -> None:
        object.__setattr__(self, "_env", env)

    def __getattr__(self, name: str) -> Any:
        return as_js(getattr(self._env, name))

    def __getitem__(self, name: str) -> Any:
        return as_js(self._env[name])

    def __contains__(self, name: object) -> bool:
        return name in self._env
