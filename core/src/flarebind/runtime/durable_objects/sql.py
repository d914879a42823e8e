"""``ctx.storage.sql``: synchronous SQL over the object's own SQLite file, with workerd's restrictions.

Statements run on the object's connection inside its implicit transaction (see ``storage.py``), so reads see the
object's uncommitted writes and writes commit together. Transactions through SQL (``BEGIN``, ``SAVEPOINT``) and
names beginning with ``_cf_`` are refused, as workerd refuses them. ``rowsRead`` counts the rows a statement
returned (SQLite's Python binding does not expose its scan counters); ``rowsWritten`` counts changed rows.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from flarebind.errors import JsException
from flarebind.jsobject import JsObject

if TYPE_CHECKING:
    from flarebind.runtime.durable_objects.storage import DurableObjectStorage

_TRANSACTION_TEXT = (
    "To execute a transaction, please use the state.storage.transaction() or state.storage.transactionSync() "
    "APIs instead of the SQL BEGIN TRANSACTION or SAVEPOINT statements. The JavaScript API is safer because it "
    "will automatically roll back on exceptions, and because it interacts correctly with Durable Objects' "
    "automatic atomic write coalescing."
)
# Every statement the runtime runs on an object's connection starts with this comment. SQLite checks the authorizer
# only when it prepares a statement, and the sqlite3 module reuses prepared statements by exact text, so user SQL
# that repeated a runtime statement's text would reuse a statement prepared with the guard off; user text starting
# with the marker is refused instead.
RUNTIME = "/* flarebind runtime */ "
_DENY_TRANSACTION = {sqlite3.SQLITE_TRANSACTION, getattr(sqlite3, "SQLITE_SAVEPOINT", 32)}


def split_statements(query: str) -> list[str]:
    """``a; b; c`` -> complete statements (SQLite's own completeness test, so ``;`` inside strings is kept)."""
    statements: list[str] = []
    current = ""
    for piece in query.split(";"):
        current += piece + ";"
        if sqlite3.complete_statement(current):
            if current.strip(" \t\r\n;"):
                statements.append(current)
            current = ""
    if current.strip(" \t\r\n;"):
        statements.append(current[:-1])
    return statements


class SqlStorageCursor:
    """What ``sql.exec`` returns: iterate row objects, ``toArray()``, ``one()``, ``raw()``, ``next()``, counters."""

    __slots__ = ("_columns", "_description", "_pos", "_rows", "rowsRead", "rowsWritten")

    def __init__(self, description: Any, rows: list[tuple[Any, ...]], written: int) -> None:
        self._description = description  # column names are built only when asked for
        self._columns: tuple[str, ...] | None = None
        self._rows = rows
        self._pos = 0
        self.rowsRead = len(rows)
        self.rowsWritten = written

    def _names(self) -> tuple[str, ...]:
        columns = self._columns
        if columns is None:
            columns = self._columns = tuple([d[0] for d in self._description or ()])
        return columns

    @property
    def columnNames(self) -> list[str]:
        return list(self._names())

    # rows and column names have the same length by construction; zip(..., strict=...) would cost each row about
    # 0.4 µs more (a keyword argument takes zip's slow call path), hence the B905 exemptions
    def _object(self, row: tuple[Any, ...]) -> JsObject:
        if bytes in map(type, row):
            return JsObject(zip(self._names(), (_value(v) for v in row)))  # noqa: B905
        return JsObject(zip(self._names(), row))  # noqa: B905

    def __iter__(self) -> Iterator[JsObject]:
        while self._pos < len(self._rows):
            row = self._rows[self._pos]
            self._pos += 1
            yield self._object(row)

    def next(self) -> JsObject:
        if self._pos < len(self._rows):
            row = self._rows[self._pos]
            self._pos += 1
            return JsObject(done=False, value=self._object(row))
        return JsObject(done=True)

    def toArray(self) -> list[JsObject]:
        rows = self._rows[self._pos :] if self._pos else self._rows
        self._pos = len(self._rows)
        if not rows:
            return []
        columns = self._names()
        return [
            JsObject(zip(columns, (_value(v) for v in row) if bytes in map(type, row) else row))  # noqa: B905
            for row in rows
        ]

    def one(self) -> JsObject:
        remaining = len(self._rows) - self._pos
        if remaining == 0:
            raise JsException("Expected exactly one result from SQL query, but got no results.", name="Error")
        if remaining > 1:
            raise JsException("Expected exactly one result from SQL query, but got multiple results.", name="Error")
        return next(iter(self))

    def raw(self) -> Iterator[list[Any]]:
        while self._pos < len(self._rows):
            row = self._rows[self._pos]
            self._pos += 1
            yield [_value(v) for v in row]


def _value(value: Any) -> Any:
    return memoryview(value) if isinstance(value, bytes) else value


_PLAIN = (str, int, float, bytes, type(None))


class Guard:
    """The connection's SQLite authorizer (installed once: setting one expires every prepared statement).

    While user SQL is being prepared it refuses transactions and ``_cf_`` names. Statements are checked when
    prepared; the runtime's own statements are prepared with the guard off.
    """

    def __init__(self) -> None:
        self.active = False
        self.refused: list[str] = []

    def __call__(self, action: int, arg1: Any, arg2: Any, db: Any, trigger: Any) -> int:
        if not self.active:
            return sqlite3.SQLITE_OK
        if action in _DENY_TRANSACTION:
            self.refused.append(_TRANSACTION_TEXT)
            return sqlite3.SQLITE_DENY
        if any(isinstance(n, str) and n.lower().startswith("_cf_") for n in (arg1, arg2)):
            self.refused.append("not authorized: SQLITE_AUTH")  # _cf_KV / _cf_METADATA belong to the runtime
            return sqlite3.SQLITE_DENY
        return sqlite3.SQLITE_OK


def _binding(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float, bytes)):
        return value
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (memoryview, bytearray)):
        return bytes(value)
    raise TypeError(f"Unsupported binding type for SQL: {type(value).__name__} (use str, int, float, bytes or None)")


_PLANS_LIMIT = 256  # split query texts kept per object (as the sqlite3 module keeps prepared statements)


class SqlStorage:
    """``ctx.storage.sql``."""

    def __init__(self, storage: DurableObjectStorage) -> None:
        self._storage = storage
        self._guard = storage._guard
        self._plans: dict[str, tuple[str, ...]] = {}  # query text -> its statements (the split is the same every time)
        self._cursor: sqlite3.Cursor | None = None  # one reused cursor: rows are fetched before exec returns

    def _plan(self, query: Any) -> tuple[str, ...]:
        text = str(query)
        # one statement is the common case; only text with an inner ";" needs SQLite's completeness splitting
        statements = tuple(split_statements(text)) if ";" in text.rstrip().rstrip(";") else (text,)
        if not statements or not text.strip():
            raise JsException("SQL code did not contain a statement.", name="Error")
        if any(statement.startswith(RUNTIME) for statement in statements):
            raise JsException("not authorized: SQLITE_AUTH", name="Error")
        if type(query) is str:
            if len(self._plans) >= _PLANS_LIMIT:
                self._plans.clear()
            self._plans[query] = statements
        return statements

    def exec(self, query: str, *bindings: Any) -> SqlStorageCursor:
        # the per-statement path: every line here is paid by each exec (see the durable-objects benchmark)
        conn = self._storage._file.conn
        if conn is None or not conn.in_transaction:
            conn = self._storage._write_connection()
        try:
            statements = self._plans[query]
        except (KeyError, TypeError):
            statements = self._plan(query)
        for b in bindings:
            if type(b) not in _PLAIN:
                bindings = tuple(_binding(v) for v in bindings)
                break
        guard = self._guard
        guard.active = True
        before = conn.total_changes
        try:
            for statement in statements[:-1]:
                conn.execute(statement)
            cursor = self._cursor
            if cursor is None or cursor.connection is not conn:
                cursor = self._cursor = conn.cursor()
            rows = cursor.execute(statements[-1], bindings).fetchall()
        except sqlite3.Error as exc:
            refused, guard.refused = guard.refused, []
            if refused:
                raise JsException(refused[0], name="Error") from None
            raise JsException(f"{exc}: SQLITE_ERROR", name="Error") from None
        finally:
            guard.active = False
        return SqlStorageCursor(cursor.description, rows, conn.total_changes - before)

    @property
    def databaseSize(self) -> int:
        conn = self._storage._connection()
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        free = conn.execute("PRAGMA freelist_count").fetchone()[0]
        size = conn.execute("PRAGMA page_size").fetchone()[0]
        return int((pages - free) * size)
