"""D1's error objects: a plain JS ``Error`` whose message carries a ``D1_…`` prefix and whose ``cause`` the bare text.

SQLite failures are worded the way workerd words them: ``<errmsg>[ at offset N]: SQLITE_<CODE>[ (extended: …)]``.
"""

from __future__ import annotations

import sqlite3

from flarebind.plugin import JsException

from flarebind_d1 import messages
from flarebind_d1.sqlite_codes import base_name, extended_name


def d1_exception(prefix: str, text: str) -> JsException:
    """``Error("<prefix>: <text>", {cause: Error(<text>)})`` as workerd throws it."""
    exc = JsException(f"{prefix}: {text}")
    exc.cause = JsException(text)  # type: ignore[attr-defined]
    return exc


def d1_error(text: str) -> JsException:
    return d1_exception("D1_ERROR", text)


def type_error(js_type: str, js_value: str) -> JsException:
    return d1_exception("D1_TYPE_ERROR", messages.type_not_supported(js_type, js_value))


def column_not_found(column: str) -> JsException:
    exc = JsException(messages.column_not_found(column))
    exc.cause = JsException("Column not found")  # type: ignore[attr-defined]
    return exc


class QueryFailed(Exception):
    """Internal: a query failed with ``text`` (the part after ``D1_ERROR: ``); wrapped by the API layer."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


def describe_sqlite_error(exc: sqlite3.Error, offset: int = -1, codes: tuple[int, int] | None = None) -> str:
    """workerd's wording of a SQLite failure.

    ``offset`` is ``sqlite3_error_offset`` read right after the failure (-1 when unknown); ``codes`` the
    (primary, extended) codes when the exception does not carry them (Python < 3.11).
    """
    text = str(exc)
    if text == "query string is too large":  # Python's own pre-check, SQLite would say this
        return messages.STATEMENT_TOO_LONG
    if text.startswith("Incorrect number of bindings supplied"):
        return messages.WRONG_PARAM_COUNT
    code = getattr(exc, "sqlite_errorcode", None)
    if code is None and codes is not None:
        code = codes[1]
    if code is None:
        code = _code_for_class(exc)
    primary = code & 0xFF
    out = text
    if offset >= 0:
        out += f" at offset {offset}"
    out += f": {base_name(primary)}"
    if code != primary:
        ext = extended_name(code)
        if ext:
            out += f" (extended: {ext})"
    return out


def _code_for_class(exc: sqlite3.Error) -> int:
    # Only reached on Python < 3.11 without the ctypes handle: the class is the best hint available.
    if isinstance(exc, sqlite3.IntegrityError):
        return 19  # SQLITE_CONSTRAINT
    if isinstance(exc, sqlite3.DataError):
        return 18  # SQLITE_TOOBIG
    return 1  # SQLITE_ERROR
