"""Calling Python handlers the way workerd does: "relaxed" calls pass only as many positionals as accepted."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

_POSITIONAL_COUNT: dict[Any, int | None] = {}


def positional_count(fn: Callable[..., Any]) -> int | None:
    """How many positionals ``fn`` takes (``None``: any number); cached per function, it is asked per request."""
    func = getattr(fn, "__func__", fn)
    try:
        return _POSITIONAL_COUNT[func]
    except (KeyError, TypeError):
        pass
    try:
        params = list(inspect.signature(func).parameters.values())
    except (TypeError, ValueError):
        count = None
    else:
        if any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in params):
            count = None
        else:
            count = sum(1 for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD))
            if func is not fn:  # a bound method: self is already given
                count -= 1
    try:
        _POSITIONAL_COUNT[func] = count
    except TypeError:
        pass
    return count


def relaxed_call(fn: Callable[..., Any], args: tuple[Any, ...]) -> Any:
    """Call with as many positionals as ``fn`` accepts (workerd's relaxed mode for ``fetch`` and legacy handlers)."""
    count = positional_count(fn)
    return fn(*args) if count is None else fn(*args[:count])
