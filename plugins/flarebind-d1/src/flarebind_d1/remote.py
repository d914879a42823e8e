"""D1 through the flarebind proxy worker: ``prepare(sql).bind(...).all()`` and friends, remote.

A prepared statement is local state (SQL + parameters); running it sends one pipeline
``prepare -> bind -> all|first|run|raw`` to the proxy, and ``batch`` sends each statement as a ``$pipeline``
argument so the real ``db.batch`` runs them in one transaction. A session keeps its latest bookmark here and opens
``withSession(bookmark)`` on the proxy for each call, reading the new bookmark back in the same request.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flarebind.plugin import UNDEFINED, Pipeline, RemoteBinding, shape

from flarebind_d1.values import bind_values

_CONSTRAINTS = ("first-unconstrained", "first-primary")


class RemotePreparedStatement:
    """``D1PreparedStatement``: immutable; ``bind`` returns a new statement."""

    def __init__(self, db: _Executor, sql: Any, params: tuple[Any, ...] = (), bound: bool = False) -> None:
        self._db = db
        self.statement = sql
        self.params = list(params)
        self._bound = bound

    def bind(self, *values: Any) -> RemotePreparedStatement:
        # converted and checked here, as the local simulation and the Pyodide boundary do: D1_TYPE_ERROR at bind
        return RemotePreparedStatement(self._db, self.statement, bind_values(values), True)

    def _ops(self) -> list[dict[str, Any]]:
        ops: list[dict[str, Any]] = [{"call": "prepare", "args": [self.statement]}]
        if self._bound:
            ops.append({"call": "bind", "args": list(self.params)})
        return ops

    async def first(self, colName: Any = None) -> Any:
        args = [] if colName is None else [colName]
        return shape(await self._db._run([*self._ops(), {"call": "first", "args": args}]))

    async def all(self) -> Any:
        return shape(await self._db._run([*self._ops(), {"call": "all"}]))

    async def run(self) -> Any:
        return shape(await self._db._run([*self._ops(), {"call": "run"}]))

    async def raw(self, options: Any = None, /, *, columnNames: Any = None) -> Any:
        opts = dict(options or {})
        if columnNames is not None:
            opts["columnNames"] = columnNames
        args = [opts] if opts else []
        return shape(await self._db._run([*self._ops(), {"call": "raw", "args": args}]))


class _Executor:
    """Runs pipelines on the database binding (a session overrides ``_run`` to go through ``withSession``)."""

    _name: str
    _channel: Any

    async def _run(self, ops: list[dict[str, Any]]) -> Any:
        return await self._channel.call(self._name, ops)

    def prepare(self, query: Any) -> RemotePreparedStatement:
        return RemotePreparedStatement(self, query)

    async def batch(self, statements: Iterable[Any]) -> Any:
        pipelines = []
        for stmt in statements:
            if not isinstance(stmt, RemotePreparedStatement):
                # the runtime's own check decides the message; send what we were given
                pipelines.append(stmt)
            else:
                pipelines.append(Pipeline(stmt._ops()))
        return shape(await self._run([{"call": "batch", "args": [pipelines]}]))


class RemoteD1Session(_Executor):
    """``D1DatabaseSession``: ``prepare``, ``batch`` and ``getBookmark`` with the bookmark carried across calls."""

    def __init__(self, db: RemoteD1Database, constraint: Any) -> None:
        self._name = db._name
        self._channel = db._channel
        self._constraint = constraint
        # started from a bookmark, the session's bookmark is that one until a query moves it forward
        self._bookmark: Any = None if constraint is UNDEFINED or constraint in _CONSTRAINTS else constraint

    async def _run(self, ops: list[dict[str, Any]]) -> Any:
        start = self._bookmark if self._bookmark is not None else self._constraint
        args = [] if start is UNDEFINED else [start]
        outcome = await self._channel.call_full(
            self._name,
            [{"call": "withSession", "args": args, "save": "session"}, *ops],
            extra=[[{"ref": "session"}, {"call": "getBookmark"}]],
        )
        bookmark = outcome.extra[0] if outcome.extra else None
        if bookmark is not None and bookmark is not UNDEFINED:
            self._bookmark = bookmark
        return outcome.result

    def getBookmark(self) -> Any:
        return self._bookmark


class RemoteD1Database(_Executor, RemoteBinding):
    """``env.DB`` when the database is remote."""

    def __init__(self, name: str, spec: dict[str, Any], channel: Any) -> None:
        RemoteBinding.__init__(self, name, spec, channel)

    async def exec(self, query: Any) -> Any:
        return shape(await self._run([{"call": "exec", "args": [query]}]))

    async def dump(self) -> Any:
        return shape(await self._run([{"call": "dump"}]))

    def withSession(self, constraintOrBookmark: Any = UNDEFINED) -> RemoteD1Session:
        value = constraintOrBookmark.strip() if isinstance(constraintOrBookmark, str) else constraintOrBookmark
        # a blank constraint means the default, as in the local simulation
        return RemoteD1Session(self, UNDEFINED if value is None or value == "" else value)


def make_remote(name: str, spec: dict[str, Any], channel: Any) -> RemoteD1Database:
    return RemoteD1Database(name, spec, channel)
