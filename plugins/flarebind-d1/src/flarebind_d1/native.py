"""Reach the ``sqlite3*`` behind a :class:`sqlite3.Connection` for the two things Python does not expose.

workerd words a syntax error as ``near "x": syntax error at offset 0`` using ``sqlite3_error_offset``; Python 3.10 also
lacks ``Connection.setlimit`` and the error codes on exceptions. The handle is read from CPython's connection object
(its first field after the object header, the same in 3.10–3.14) and the functions are looked up in the very library
the ``_sqlite3`` module uses. Anything unexpected disables this and the texts simply lack the offset.
"""

from __future__ import annotations

import ctypes
import sqlite3
import sys
from typing import Any


class Native:
    __slots__ = ("_db", "_lib")

    def __init__(self, lib: Any, db: int) -> None:
        self._lib = lib
        self._db = db

    def error_offset(self) -> int:
        return int(self._lib.sqlite3_error_offset(self._db))

    def error_codes(self) -> tuple[int, int]:
        return int(self._lib.sqlite3_errcode(self._db)), int(self._lib.sqlite3_extended_errcode(self._db))

    def set_limit(self, category: int, value: int) -> int:
        return int(self._lib.sqlite3_limit(self._db, category, value))


def attach(conn: sqlite3.Connection) -> Native | None:
    if sys.implementation.name != "cpython" or not (3, 10) <= sys.version_info[:2] <= (3, 14):
        return None
    try:
        import _sqlite3

        lib = ctypes.CDLL(_sqlite3.__file__)
        for name in (
            "sqlite3_error_offset",
            "sqlite3_errcode",
            "sqlite3_extended_errcode",
            "sqlite3_limit",
            "sqlite3_total_changes",
        ):
            fn = getattr(lib, name)
            fn.restype = ctypes.c_int
        lib.sqlite3_error_offset.argtypes = [ctypes.c_void_p]
        lib.sqlite3_errcode.argtypes = [ctypes.c_void_p]
        lib.sqlite3_extended_errcode.argtypes = [ctypes.c_void_p]
        lib.sqlite3_total_changes.argtypes = [ctypes.c_void_p]
        lib.sqlite3_limit.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int]
        db = ctypes.c_void_p.from_address(id(conn) + object.__basicsize__).value
        if not db:
            return None
        native = Native(lib, db)
        # a cheap consistency check that we hold the right handle: limits read back as Python set them
        trigger_depth = 10  # SQLITE_LIMIT_TRIGGER_DEPTH
        before = native.set_limit(trigger_depth, -1)
        if hasattr(conn, "setlimit"):
            conn.setlimit(trigger_depth, 17)
            ok = native.set_limit(trigger_depth, -1) == 17
            conn.setlimit(trigger_depth, before)
            if not ok:
                return None
        return native
    except Exception:
        return None
