"""The D1 binding objects a Worker uses: ``D1Database``, ``D1PreparedStatement``, ``D1DatabaseSession``.

Method names and result shapes are D1's (``prepare(sql).bind(...).all()``, ``{success, meta, results}``). Statements
are plain values: ``bind`` returns a new statement, and only the terminal methods (``first``, ``all``, ``run``,
``raw``) are awaitable.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flarebind.plugin import JsObject

from flarebind_d1.engine import DIRECT_TO_THREAD_STATEMENTS, LATER, D1Engine, ExecFailed, Outcome
from flarebind_d1.errors import QueryFailed, column_not_found, d1_error, d1_exception
from flarebind_d1.values import bind_values, js_string, read_rows

FIRST_UNCONSTRAINED = "first-unconstrained"
# what the local D1 object answers for a query body whose SQL is not a string (prepare(5), prepare(None))
BAD_BODY = "Failed to parse body as JSON, got: ZodError"
_UNDEFINED: Any = object()


def check_sql(sql: Any) -> None:
    if not isinstance(sql, str):
        raise d1_error(BAD_BODY)


FIRST_PRIMARY = "first-primary"
_CONSTRAINTS = (FIRST_UNCONSTRAINED, FIRST_PRIMARY)


def _result(outcome: Outcome) -> JsObject:
    names, rows, meta = outcome
    results = [JsObject(zip(names, row, strict=False)) for row in read_rows(rows)]
    return JsObject({"success": True, "meta": meta, "results": results})


class D1PreparedStatement:
    __slots__ = ("_database", "_session", "params", "statement")

    def __init__(
        self,
        database: D1Database,
        statement: str,
        params: tuple[Any, ...] = (),
        session: D1DatabaseSession | None = None,
    ) -> None:
        self._database = database
        self._session = session
        self.statement = statement
        self.params = params

    def bind(self, *values: Any) -> D1PreparedStatement:
        """A new statement with ``values`` bound to ``?``/``?NNN`` in order (D1_TYPE_ERROR for unsupported types)."""
        return D1PreparedStatement(self._database, self.statement, bind_values(values), self._session)

    def _query_now(self, with_meta: bool) -> Any:
        """The outcome, run on the event loop within its budget, or :data:`LATER` (see :meth:`_finish`)."""
        if self.statement.__class__ is not str:
            check_sql(self.statement)
        engine = self._database._engine
        try:
            return engine.now(engine._query, self.statement, self.params, with_meta)
        except QueryFailed as failure:
            raise d1_error(failure.text) from None

    async def _finish(self, outcome: Any, with_meta: bool) -> Outcome:
        """Run on the database's thread what could not run on the loop, and advance the session's bookmark."""
        if outcome is LATER:
            engine = self._database._engine
            try:
                outcome = await engine.later(engine._query, self.statement, self.params, with_meta)
            except QueryFailed as failure:
                raise d1_error(failure.text) from None
        if self._session is not None:
            await self._session._advance()
        return outcome  # type: ignore[no-any-return]

    async def _query(self, with_meta: bool = True) -> Outcome:
        outcome = self._query_now(with_meta)
        if outcome is LATER or self._session is not None:
            outcome = await self._finish(outcome, with_meta)
        return outcome  # type: ignore[no-any-return]

    async def first(self, colName: Any = None) -> Any:
        # the fast path inlined: no coroutine beyond this one when the query ran on the loop
        outcome = self._query_now(False)
        if outcome is LATER or self._session is not None:
            outcome = await self._finish(outcome, False)
        names, rows, _ = outcome
        if not rows:
            return None
        row = JsObject(zip(names, read_rows(rows[:1])[0], strict=False))
        if colName is None:
            return row
        key = colName if isinstance(colName, str) else js_string(colName)
        if key not in row:
            raise column_not_found(key)
        return row[key]

    async def all(self) -> JsObject:
        outcome = self._query_now(True)
        if outcome is LATER or self._session is not None:
            outcome = await self._finish(outcome, True)
        return _result(outcome)

    async def run(self) -> JsObject:
        # Local D1 answers run() like all(): rows included when the statement returns any.
        outcome = self._query_now(True)
        if outcome is LATER or self._session is not None:
            outcome = await self._finish(outcome, True)
        return _result(outcome)

    async def raw(self, options: Any = None, *, columnNames: bool = False) -> list[list[Any]]:
        if isinstance(options, dict):
            columnNames = bool(options.get("columnNames"))
        elif options is not None and hasattr(options, "columnNames"):
            columnNames = bool(options.columnNames)
        names, rows, _ = await self._query(False)
        out = [list(row) for row in read_rows(rows)]
        if columnNames:
            out.insert(0, names)
        return out

    def __repr__(self) -> str:
        return f"D1PreparedStatement({self.statement!r}, params={list(self.params)!r})"


class D1Database:
    """``env.DB``: the database binding."""

    __slots__ = ("_engine", "name")

    def __init__(self, engine: D1Engine, name: str = "DB") -> None:
        self._engine = engine
        self.name = name

    def prepare(self, query: str) -> D1PreparedStatement:
        return D1PreparedStatement(self, query)

    async def batch(self, statements: Iterable[D1PreparedStatement]) -> list[JsObject]:
        """Run ``statements`` in one transaction: every result, or an error and no change at all."""
        statements = list(statements)
        for s in statements:
            if not isinstance(s, D1PreparedStatement):
                raise d1_error(BAD_BODY)  # workerd sends what it was given; the D1 object cannot parse it
            check_sql(s.statement)
        pairs = [(s.statement, s.params) for s in statements]
        engine = self._engine
        try:
            if len(pairs) > DIRECT_TO_THREAD_STATEMENTS:
                outcomes = await engine.later(engine._batch, pairs)  # long enough that the hop is noise
            else:
                outcomes = await engine.run(engine._batch, pairs)
        except QueryFailed as failure:
            raise d1_error(failure.text) from None
        return [_result(o) for o in outcomes]

    async def exec(self, query: Any = _UNDEFINED) -> JsObject:
        """Run SQL without parameters, one statement per line; ``{count, duration}``."""
        if not isinstance(query, str):
            # D1's JS wrapper calls query.trim() first; these are V8's texts for the values a Worker can pass
            if query is _UNDEFINED:
                raise TypeError("Cannot read properties of undefined (reading 'trim')")
            if query is None:
                raise TypeError("Cannot read properties of null (reading 'trim')")
            raise TypeError("query.trim is not a function")
        engine = self._engine
        try:
            count, duration = await engine.later(engine._exec, query)  # schema and migrations: off the loop
        except ExecFailed as failure:
            raise d1_exception("D1_EXEC_ERROR", f"Error in line 1: {failure.line}: {failure.text}") from None
        return JsObject(count=count, duration=duration)

    def withSession(self, constraintOrBookmark: str | None = None) -> D1DatabaseSession:
        """A session: ``"first-unconstrained"`` (default), ``"first-primary"`` or a bookmark to start after."""
        value = constraintOrBookmark.strip() if isinstance(constraintOrBookmark, str) else constraintOrBookmark
        if not value:
            value = FIRST_UNCONSTRAINED
        return D1DatabaseSession(self, value)

    def __repr__(self) -> str:
        return f"<D1Database {self.name} ({self._engine.path or 'in memory'})>"


class D1DatabaseSession:
    """Queries that see at least the state of the session's bookmark, which only ever moves forward."""

    __slots__ = ("_database", "_value")

    def __init__(self, database: D1Database, bookmark_or_constraint: str) -> None:
        self._database = database
        self._value = bookmark_or_constraint

    def prepare(self, query: str) -> D1PreparedStatement:
        return D1PreparedStatement(self._database, query, (), self)

    async def batch(self, statements: Iterable[D1PreparedStatement]) -> list[JsObject]:
        results = await self._database.batch(statements)
        await self._advance()
        return results

    def getBookmark(self) -> str | None:
        """The latest bookmark seen, or None before the first query of a constraint-started session."""
        return None if self._value in _CONSTRAINTS else self._value

    async def _advance(self) -> None:
        engine = self._database._engine
        try:
            latest = await engine.run(engine._next_bookmark)
        except QueryFailed as failure:
            raise d1_error(failure.text) from None
        current = self.getBookmark()
        if current is None or current < latest:
            self._value = latest
