"""One D1 database: a SQLite connection run the way local D1 runs it (Miniflare's D1 object on workerd's SQLite).

A point query takes microseconds, far less than handing it to a thread would, so every statement is tried on the
caller's thread (the event loop) first, with a small time budget and no busy waiting. A statement that runs past
the budget is interrupted (SQLite rolls it back) and, like one that meets another process's write lock, runs again
on the database's own thread (:class:`flarebind.plugin.DatabaseThread`), where it may take up to D1's query time
limit and waits for the lock up to the busy timeout. Large batches and ``exec`` go to the thread directly.

Statements are cached by sqlite3 (keyed by the SQL text) and their plans by :class:`~flarebind_d1.statements.PlanCache`,
so a repeated query costs one dict lookup on top of sqlite3 itself. Single statements run in autocommit; a
multi-statement text, ``batch`` and ``exec`` run inside ``BEGIN IMMEDIATE`` so they are all-or-nothing and take the
write lock up front.
"""

from __future__ import annotations

import math
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from time import perf_counter
from typing import Any

from flarebind.plugin import BUSY_TIMEOUT_S, LOOP_BUDGET_S, DatabaseThread, JsObject, connect, is_busy, retry_busy

from flarebind_d1 import authorizer, messages, native
from flarebind_d1.errors import QueryFailed, describe_sqlite_error
from flarebind_d1.statements import Plan, PlanCache, is_blank

# the exact text workerd creates the table with, so the schema reads the same whoever created it
CREATE_METADATA = """CREATE TABLE IF NOT EXISTS _cf_METADATA (
        key INTEGER PRIMARY KEY,
        value BLOB
      )"""
_BOOKMARK_KEY = 2  # workerd's local-development bookmark lives under this key
SERVED_BY = "miniflare.db"  # what local D1 reports; code that detects local mode by it keeps working

# workerd's sqlite3_limit settings for Durable Object storage (LENGTH measured on workerd 2026-04-26)
LIMITS = {
    0: 2_200_000,  # LENGTH
    1: 100_000,  # SQL_LENGTH
    2: 100,  # COLUMN
    3: 100,  # EXPR_DEPTH
    4: 5,  # COMPOUND_SELECT
    5: 25_000,  # VDBE_OP
    6: 127,  # FUNCTION_ARG
    7: 0,  # ATTACHED
    8: 50,  # LIKE_PATTERN_LENGTH
    9: 100,  # VARIABLE_NUMBER
    10: 10,  # TRIGGER_DEPTH
}

Outcome = tuple[list[str], list[tuple[Any, ...]], JsObject]

#: D1's documented "Maximum SQL query duration"; a statement running longer is interrupted
QUERY_TIME_LIMIT_S = 30.0
#: batches with more statements than this go to the database's thread without an attempt on the loop
DIRECT_TO_THREAD_STATEMENTS = 64
#: SQLite virtual-machine steps between two checks of the time budget
PROGRESS_STEPS = 1000


class MoveToThread(Exception):
    """The attempt on the event loop was stopped (time budget, or another process's lock): run it on the thread."""


LATER: Any = object()  # what :meth:`D1Engine.now` returns when the work must go to the thread


class ExecFailed(Exception):
    """``exec`` failed; D1 reports the first line of the text with the message."""

    def __init__(self, line: str, text: str) -> None:
        super().__init__(text)
        self.line = line
        self.text = text


class D1Engine:
    """The database behind one ``database_id`` (shared by every binding to it in one runtime)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        # no busy waiting inside SQLite: a locked database fails fast and the wait happens on the thread
        conn = self.conn = retry_busy(lambda: connect(path, busy_timeout_ms=0))
        conn.execute("PRAGMA foreign_keys = ON")  # on in workerd's D1
        retry_busy(lambda: conn.execute(CREATE_METADATA))
        self._deadline = math.inf
        self._stop_reason = "loop"
        self._stopped: str | None = None
        self._busy = False
        conn.set_progress_handler(self._progress, PROGRESS_STEPS)
        self.thread = DatabaseThread(f"d1-{path.stem[:12] if path else 'memory'}")
        self.native = native.attach(conn)
        for category, value in LIMITS.items():
            if hasattr(conn, "setlimit"):
                conn.setlimit(category, value)
            elif self.native is not None:
                self.native.set_limit(category, value)
        self.page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        self.auth = authorizer.install(conn)
        # sqlite3 caches statements by text without re-authorizing them: a secret suffix keeps user SQL from ever
        # matching (and so skipping the authorizer through) one of flarebind's own trusted statements
        tag = f" -- flarebind {secrets.token_hex(8)}"
        self._sql_begin = "BEGIN IMMEDIATE" + tag
        self._sql_commit = "COMMIT" + tag
        self._sql_rollback = "ROLLBACK" + tag
        self._sql_page_count = "PRAGMA page_count" + tag
        self._sql_sizes = "SELECT (SELECT * FROM pragma_page_count), (SELECT * FROM pragma_freelist_count)" + tag
        self._sql_bookmark_next = (
            "UPDATE _cf_METADATA SET value = coalesce(value + 1, 0) WHERE key = ? RETURNING value" + tag
        )
        self._sql_bookmark_first = "INSERT INTO _cf_METADATA (key, value) VALUES (?, 0)" + tag
        self._sql_last_row_id = "SELECT last_insert_rowid()" + tag
        # One statement or transaction at a time: sync routes may call the binding from worker threads, and a
        # statement from another thread must never land inside (or be rolled back with) someone else's batch.
        self._lock = threading.Lock()
        self.plans = PlanCache()
        self._plan_of = self.plans._plans.get  # the hot-path lookup, one call instead of two
        self._freelist = -1
        self._size = self.database_size()
        self._last_row_id = 0

    # -- where work runs: on the loop first, else on the database's thread ---------------------------------------

    def _progress(self) -> int:
        # only the user's statements are interrupted, never flarebind's own (BEGIN/COMMIT/ROLLBACK, bookkeeping):
        # SQLite can report an interrupt even after a statement completed, and those must not be mistaken
        if perf_counter() > self._deadline and not self.auth.trusted:
            self._stopped = self._stop_reason
            return 1  # SQLite stops the statement with SQLITE_INTERRUPT and rolls it back
        return 0

    # An attempt may be interrupted and run again only while nothing of it is committed. SQLite checks the progress
    # handler once more when a statement returns, so an *autocommit* write can report SQLITE_INTERRUPT after it
    # committed: writes under a deadline therefore run in a transaction, and every path sets ``_deadline`` to
    # infinity before its COMMIT.

    def _attempt(self, fn: Callable[..., Any], args: tuple[Any, ...], budget: float, reason: str) -> Any:
        self._deadline = perf_counter() + budget
        self._stop_reason = reason
        self._stopped = None
        self._busy = False
        try:
            return fn(*args)
        finally:
            self._deadline = math.inf

    def now(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run ``fn(*args)`` here and now within the loop budget; :data:`LATER` when it must run on the thread."""
        if not self._lock.acquire(blocking=False):
            return LATER  # the thread is busy with this database: queue behind it
        try:
            return self._attempt(fn, args, LOOP_BUDGET_S, "loop")
        except (QueryFailed, ExecFailed):
            if self._stopped == "loop" or self._busy:
                return LATER
            raise
        finally:
            self._lock.release()

    async def later(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run ``fn(*args)`` on the database's thread, with D1's time limit and waiting out other processes' locks."""
        return await self.thread.run(self.blocking, fn, *args)

    def blocking(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run ``fn(*args)`` on this thread: up to D1's query time limit, retrying while another process holds
        the write lock (up to the busy timeout)."""
        deadline = time.monotonic() + BUSY_TIMEOUT_S
        delay = 0.001
        with self._lock:
            while True:
                try:
                    return self._attempt(fn, args, QUERY_TIME_LIMIT_S, "limit")
                except (QueryFailed, ExecFailed):
                    if not self._busy or time.monotonic() >= deadline:
                        raise
                time.sleep(delay)
                delay = min(delay * 2, 0.05)

    async def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        result = self.now(fn, *args)
        if result is LATER:
            result = await self.later(fn, *args)
        return result

    # -- queries -------------------------------------------------------------------------------------------------

    def query(self, sql: str, params: tuple[Any, ...], with_meta: bool = True) -> Outcome:
        """Run one prepared statement's SQL (blocking). ``with_meta=False`` (``first()``) may leave the meta out."""
        return self.blocking(self._query, sql, params, with_meta)

    def _query(self, sql: str, params: tuple[Any, ...], with_meta: bool) -> Outcome:
        plan = self._plan_of(sql) or self.plans.get(sql)
        if plan.blank:
            raise QueryFailed(messages.NO_STATEMENTS)
        if plan.single and plan.readonly:
            # the hot path for reads: nothing to account for but the time
            started = perf_counter()
            try:
                cur = self.conn.execute(sql, params)
                rows = cur.fetchall()
            except sqlite3.Error as exc:
                raise QueryFailed(self.describe(exc)) from None
            description = cur.description
            names = [d[0] for d in description] if description else []
            if not with_meta:
                return names, rows, None  # type: ignore[return-value]
            duration = (perf_counter() - started) * 1000
            return names, rows, make_meta(duration, 0, self._last_row_id, False, self._size, len(rows))
        return self._run(plan, sql, params, False)

    def batch(self, statements: list[tuple[str, tuple[Any, ...]]]) -> list[Outcome]:
        return self.blocking(self._batch, statements)

    def _batch(self, statements: list[tuple[str, tuple[Any, ...]]]) -> list[Outcome]:
        plan_of, get_plan = self._plan_of, self.plans.get
        plans = [(p, sql, params) for sql, params in statements if not (p := plan_of(sql) or get_plan(sql)).blank]
        if not plans:
            raise QueryFailed(messages.NO_STATEMENTS)
        size_before = self._size
        conn = self.conn
        execute = conn.execute
        outcomes: list[Outcome] = []
        append = outcomes.append
        self._begin()
        try:
            for plan, sql, params in plans:
                if not plan.single:
                    append(self._run(plan, sql, params, True))
                    continue
                # the single-statement case of _run, inlined: batches are where per-statement overhead adds up
                started = perf_counter()
                changes_before = conn.total_changes
                try:
                    cur = execute(sql, params)
                    rows = cur.fetchall()
                except sqlite3.Error as exc:
                    raise QueryFailed(self.describe(exc)) from None
                duration = (perf_counter() - started) * 1000
                changes = conn.total_changes - changes_before
                if plan.readonly and not changes:
                    meta = make_meta(duration, 0, self._last_row_id, False, self._size, len(rows))
                else:
                    last_row_id = cur.lastrowid
                    if last_row_id is None:  # Python 3.10 sets it for DML only
                        last_row_id = self._trusted(self._sql_last_row_id).fetchone()[0]
                    changed = changes != 0 or last_row_id != self._last_row_id
                    self._last_row_id = last_row_id
                    meta = make_meta(duration, changes, last_row_id, changed, None, len(rows))
                description = cur.description
                append(([d[0] for d in description] if description else [], rows, meta))
        except BaseException:
            self._rollback()
            raise
        # from here on nothing may be interrupted: an interrupted attempt is run again, and SQLite can report an
        # interrupt even after a statement (here: COMMIT) completed
        self._deadline = math.inf
        self._commit()
        # sizes are measured once, after the transaction (measuring per statement would dominate its cost)
        size = self._size = self.database_size()
        grew = size != size_before
        for _, _, meta in outcomes:
            if meta["size_after"] is None and grew:  # a write (reads carry a size): the batch changed the size
                meta["changed_db"] = True
            meta["size_after"] = size
        return outcomes

    def exec(self, sql: str) -> tuple[int, float]:
        return self.blocking(self._exec, sql)  # type: ignore[no-any-return]

    def _exec(self, sql: str) -> tuple[int, float]:
        lines = sql.strip().split("\n")
        queries = [line for line in lines if not is_blank(line)]
        if not queries:
            raise ExecFailed(lines[0], messages.NO_STATEMENTS)
        try:
            outcomes = self._batch([(q, ()) for q in queries])
        except QueryFailed as failure:
            # Local D1 runs the lines as one transaction and reports any failure against line 1.
            raise ExecFailed(lines[0], failure.text) from None
        return len(outcomes), sum(meta["duration"] for _, _, meta in outcomes)

    def _run(self, plan: Plan, sql: str, params: tuple[Any, ...], in_batch: bool) -> Outcome:
        conn = self.conn
        started = perf_counter()
        changes_before = conn.total_changes
        if plan.single and not in_batch and not plan.readonly and self._deadline != math.inf and not plan.pragma:
            # A write attempted under a deadline runs in its own transaction: SQLite may report SQLITE_INTERRUPT
            # even after an autocommit statement completed (it checks the progress handler once more on return),
            # and an attempt that reports failure must have changed nothing, so it can run again elsewhere.
            self._begin()
            try:
                cur = conn.execute(sql, params)
                rows = cur.fetchall()
            except sqlite3.Error as exc:
                text = self.describe(exc)
                self._rollback()
                raise QueryFailed(text) from None
            except BaseException:
                self._rollback()
                raise
            self._deadline = math.inf  # the COMMIT must not be interrupted
            self._commit()
        elif plan.single:
            try:
                cur = conn.execute(sql, params)
                rows = cur.fetchall()
            except sqlite3.Error as exc:
                raise QueryFailed(self.describe(exc)) from None
        elif plan.too_long:
            raise QueryFailed(messages.STATEMENT_TOO_LONG)
        else:
            cur, rows = self._run_segments(plan, params, in_batch)
        if not in_batch:
            self._deadline = math.inf  # committed: never interrupt what follows
        duration = (perf_counter() - started) * 1000
        changes = conn.total_changes - changes_before
        write = not plan.readonly or changes != 0
        if write:
            last_row_id = cur.lastrowid
            if last_row_id is None:  # Python 3.10 sets it for DML only
                last_row_id = self._trusted(self._sql_last_row_id).fetchone()[0]
            changed = changes != 0 or last_row_id != self._last_row_id
            self._last_row_id = last_row_id
            if in_batch:
                size = None  # filled in by batch()
            else:
                size = self.database_size(plan.insert)
                changed = changed or size != self._size
                self._size = size
        else:
            # a read changes nothing: the size and last row id are the ones this connection last saw
            last_row_id = self._last_row_id
            size = self._size
            changed = False
        description = cur.description
        meta = make_meta(duration, changes, last_row_id, changed, size, len(rows))
        return [d[0] for d in description] if description else [], rows, meta

    def _run_segments(self, plan: Plan, params: tuple[Any, ...], in_txn: bool) -> tuple[sqlite3.Cursor, list[Any]]:
        conn = self.conn
        segments = plan.segments
        last = len(segments) - 1
        if not in_txn:
            self._begin()
        try:
            cur: sqlite3.Cursor | None = None
            rows: list[Any] = []
            for i, segment in enumerate(segments):
                if segment is None:
                    raise QueryFailed(messages.NO_STATEMENT_IN_CODE)
                if i < last:
                    try:
                        conn.execute(segment).fetchall()
                    except sqlite3.ProgrammingError as exc:
                        if str(exc).startswith("Incorrect number of bindings"):
                            raise QueryFailed(messages.MULTI_STATEMENT_PARAMS) from None
                        raise
                else:
                    cur = conn.execute(segment, params)
                    rows = cur.fetchall()
            assert cur is not None
        except sqlite3.Error as exc:
            text = self.describe(exc)
            if not in_txn:
                self._rollback()
            raise QueryFailed(text) from None
        except BaseException:
            if not in_txn:
                self._rollback()
            raise
        if not in_txn:
            self._deadline = math.inf  # the COMMIT must not be interrupted (see _run)
            self._commit()
        return cur, rows

    # -- bookkeeping ---------------------------------------------------------------------------------------------

    def describe(self, exc: sqlite3.Error) -> str:
        """workerd's text for ``exc``; call it before anything else touches the connection."""
        if self._stopped == "limit":
            return messages.QUERY_TIME_LIMIT
        self._busy = is_busy(exc)
        nat = self.native
        offset = nat.error_offset() if nat is not None else -1
        codes = nat.error_codes() if nat is not None and not hasattr(exc, "sqlite_errorcode") else None
        tailored, self.auth.error = self.auth.error, None
        if tailored is not None and str(exc) == "not authorized":
            return tailored
        return describe_sqlite_error(exc, offset, codes)

    def database_size(self, inserted_only: bool = False) -> int:
        """Bytes in use, as workerd counts them: (pages − free pages) × page size.

        ``inserted_only``: the statement only inserted rows, which takes pages from the free list or grows the file
        but never frees any; with an empty free list the page count alone is then exact (and twice as cheap).
        """
        auth = self.auth if hasattr(self, "auth") else None
        if auth is not None:
            auth.trusted = True
        try:
            if inserted_only and self._freelist == 0:
                return int(self.conn.execute(self._sql_page_count).fetchone()[0]) * self.page_size
            pages, free = self.conn.execute(self._sql_sizes).fetchone()
        finally:
            if auth is not None:
                auth.trusted = False
        self._freelist = free
        return int(pages - free) * self.page_size

    def next_bookmark(self) -> str:
        """Advance workerd's local-development bookmark (``_cf_METADATA`` key 2) and format it as D1 does."""
        return self.blocking(self._next_bookmark)  # type: ignore[no-any-return]

    def _next_bookmark(self) -> str:
        try:
            row = self._trusted(self._sql_bookmark_next, (_BOOKMARK_KEY,)).fetchone()
        except sqlite3.Error as exc:
            raise QueryFailed(self.describe(exc)) from None
        if row is None:
            self._trusted(self._sql_bookmark_first, (_BOOKMARK_KEY,))
            value = 0
        else:
            value = int(row[0])
        return format_bookmark(value)

    def _trusted(self, sql: str, params: tuple[Any, ...] = ()) -> sqlite3.Cursor:
        auth = self.auth
        auth.trusted = True
        try:
            return self.conn.execute(sql, params)
        finally:
            auth.trusted = False

    def _begin(self) -> None:
        try:
            self._trusted(self._sql_begin)
        except sqlite3.Error as exc:
            raise QueryFailed(self.describe(exc)) from None

    def _commit(self) -> None:
        try:
            self._trusted(self._sql_commit)
        except sqlite3.Error as exc:
            text = self.describe(exc)
            self._rollback()
            raise QueryFailed(text) from None

    def _rollback(self) -> None:
        if self.conn.in_transaction:
            self._trusted(self._sql_rollback)

    def close(self) -> None:
        self.thread.close()  # let queued work finish first
        # drop the raw handle first: after close it points at freed memory
        self.native = None
        self.conn.close()


_META_TEMPLATE = {
    "served_by": SERVED_BY,
    "served_by_region": "LOCAL",
    "served_by_primary": True,
    "timings": None,
    "duration": 0,
    "changes": 0,
    "last_row_id": 0,
    "changed_db": False,
    "size_after": 0,
    "rows_read": 0,
    "rows_written": 0,
    "total_attempts": 1,
}


def make_meta(duration: float, changes: int, last_row_id: int, changed: bool, size: int | None, rows: int) -> JsObject:
    """D1's result ``meta`` (the fields production reports; Miniflare reports eight of them).

    Built by copying a template (a C-level dict copy) and filling the variable fields: this runs per statement.
    """
    meta = JsObject(_META_TEMPLATE)
    meta["timings"] = JsObject({"sql_duration_ms": duration})
    meta["duration"] = duration
    meta["changes"] = changes
    meta["last_row_id"] = last_row_id
    meta["changed_db"] = changed
    meta["size_after"] = size
    meta["rows_read"] = rows
    meta["rows_written"] = changes
    return meta


def format_bookmark(value: int) -> str:
    """workerd's local bookmark text: two 8-digit hex halves, a zero field and 32 zeros (sorts by value)."""
    return f"{value // 0xFFFFFFFF:08x}-{value % 0xFFFFFFFF:08x}-00000000-{'0' * 32}"
