"""``ctx.storage``: one SQLite file per object in wrangler's layout, with workerd's write coalescing.

Layout (shared with ``wrangler dev``): ``<persist>/v3/do/<worker>-<Class>/<64-hex id>.sqlite`` holding
``_cf_KV(key TEXT PRIMARY KEY, value BLOB) WITHOUT ROWID`` (values in V8 serialisation, ``v8.py``), ``_cf_METADATA``
(key 1: the alarm time in ns) and the object's own SQL tables; alarms are also indexed per class in
``metadata.sqlite`` (``alarms.py``).

Crash safety and gates: storage calls complete synchronously (as on workerd's SQLite backend, reads never yield).
KV writes are coalesced in memory and written, with any SQL writes, in one implicit transaction that commits on the
next turn of the event loop, so writes made without an intervening ``await`` are atomic together; a response
leaving the object first commits what is pending (the output gate, ``host.py``). A killed process loses at most
the writes of the current turn. Values are cached: immutable ones (str, numbers, bool, None) decoded, others as
their V8 bytes so that every ``get`` returns a fresh copy; the file is the object's alone while it runs, as under
workerd. ``docs/durable-objects.md`` describes the cache and the durability it gives.
"""

from __future__ import annotations

import asyncio
import datetime
import inspect
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flarebind.errors import JsException
from flarebind.runtime.durable_objects import v8
from flarebind.runtime.durable_objects.sql import RUNTIME, Guard, SqlStorage

if TYPE_CHECKING:
    from flarebind.runtime.durable_objects.host import ObjectRecord

KV_TABLE = RUNTIME + "CREATE TABLE IF NOT EXISTS _cf_KV (key TEXT PRIMARY KEY, value BLOB) WITHOUT ROWID"
METADATA_TABLE = RUNTIME + "CREATE TABLE IF NOT EXISTS _cf_METADATA (key INTEGER PRIMARY KEY, value BLOB)"
ALARM_KEY = 1
CACHE_LIMIT = 100_000  # cached values per object; the cache is simply cleared when a miss finds it this full
_IMMUTABLE = frozenset({str, int, float, bool, type(None)})  # decoded values that may be shared between gets


class _Encoded:
    """A cached value kept serialised: every ``get`` decodes a fresh copy (the value may be mutable)."""

    __slots__ = ("data",)

    def __init__(self, data: bytes) -> None:
        self.data = data


_ABSENT: Any = object()  # cache entry: the key is known to have no value
_SQL_DISABLED = (
    "SQL is not enabled for this Durable Object class. To enable it, change `new_classes` to `new_sqlite_classes` "
    "in your wrangler.toml migrations (or set use_sqlite for this namespace)."
)
_KV_DISABLED = (
    "The synchronous KV API is not enabled for this Durable Object class. To enable it, change `new_classes` to "
    "`new_sqlite_classes` in your wrangler.toml migrations (or set use_sqlite for this namespace)."
)


def _options(options: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
    merged = dict(options.items() if hasattr(options, "items") else (options or {}))
    merged.update(kwargs)
    return merged


_INSERT = RUNTIME + "INSERT OR REPLACE INTO _cf_KV (key, value) VALUES (?, ?)"
_CHUNK = 256  # rows per multi-row INSERT (512 parameters, under SQLite's oldest default limit of 999)
_INSERT_CHUNK = RUNTIME + "INSERT OR REPLACE INTO _cf_KV (key, value) VALUES " + ", ".join(["(?, ?)"] * _CHUNK)


def _insert_rows(conn: sqlite3.Connection, rows: Sequence[tuple[str, bytes | None]]) -> None:
    """Write coalesced puts: whole chunks as multi-row INSERTs (about a quarter less SQLite work per row than
    ``executemany``, measured with 10,000 100-byte values), the rest one statement per row."""
    done = 0
    while len(rows) - done >= _CHUNK:
        conn.execute(_INSERT_CHUNK, list(chain.from_iterable(rows[done : done + _CHUNK])))
        done += _CHUNK
    if done < len(rows):
        conn.executemany(_INSERT, rows[done:] if done else rows)


def _key(key: Any) -> str:
    return key if isinstance(key, str) else str(key)


class _Connection:
    """The object's SQLite connection, opened on first use (so an object that never stores creates no file)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.conn: sqlite3.Connection | None = None
        self.guard = Guard()

    def open(self) -> sqlite3.Connection:
        if self.conn is None:
            from flarebind.storage.sqlite import connect, ensure_metadata_db

            if self.path is None:
                conn = connect(None)
            else:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                ensure_metadata_db(self.path.parent)  # Miniflare keeps one beside each class's objects
                conn = sqlite3.connect(str(self.path), isolation_level=None, check_same_thread=False, timeout=30)
                conn.execute("PRAGMA busy_timeout = 30000")
                # The switch to WAL runs unsynced (OFF), then NORMAL for everything after, and the tables are made
                # in one transaction: a new object costs no fsync. Only the empty file's header is at risk, and only
                # from an OS crash in the moment after creation; SQLite reads a missing header as an empty database.
                conn.execute("PRAGMA synchronous = OFF")
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("BEGIN")
            conn.execute(KV_TABLE)
            conn.execute(METADATA_TABLE)
            conn.execute("COMMIT")
            conn.set_authorizer(self.guard)
            self.conn = conn
        return self.conn

    def close(self) -> None:
        if self.conn is not None:
            if self.conn.in_transaction:
                self.conn.commit()
            self.conn.close()
            self.conn = None


class DurableObjectStorage:
    """``ctx.storage``: async KV, ``kv`` (sync KV), ``sql``, ``transaction``/``transactionSync``, alarms."""

    def __init__(self, record: ObjectRecord, connection: _Connection, sql_enabled: bool) -> None:
        self._record = record
        self._file = connection
        self._sql_enabled = sql_enabled
        self._savepoints = 0
        self._commit_scheduled = False
        self._pending: dict[str, bytes | None] = {}  # KV writes of this turn (None: a delete)
        self._pending_deletes = False  # whether _pending holds a delete
        self._cache: dict[str, Any] = {}  # key -> _ABSENT, _Encoded(bytes) or a decoded immutable value
        self._guard = connection.guard
        self._sql = SqlStorage(self)
        self._kv = SyncKvStorage(self)

    # -- connection and the implicit transaction ----------------------------------------------------------------

    def _connection(self) -> sqlite3.Connection:
        return self._file.conn or self._file.open()

    def _write_connection(self) -> sqlite3.Connection:
        conn = self._file.conn
        if conn is not None and conn.in_transaction:
            return conn  # the common case: this turn's implicit transaction is already open
        conn = self._file.open()
        if not conn.in_transaction:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                return conn  # no loop (a synchronous caller): each statement commits by itself
            conn.execute("BEGIN")
            if not self._commit_scheduled:
                self._commit_scheduled = True
                loop.call_soon(self._auto_commit)
        return conn

    def _auto_commit(self) -> None:
        self._commit_scheduled = False
        if self._savepoints == 0:
            self.flush()
        else:  # a transaction() is still running: commit once it has finished
            self._commit_scheduled = True
            asyncio.get_running_loop().call_soon(self._auto_commit)

    def _schedule_commit(self) -> None:
        if self._commit_scheduled:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.flush()  # no loop (a synchronous caller): write now
            return
        self._commit_scheduled = True
        loop.call_soon(self._auto_commit)

    def _apply_pending(self) -> None:
        """Write this turn's coalesced KV writes into the open transaction."""
        if not self._pending:
            return
        pending, self._pending = self._pending, {}
        conn = self._write_connection()
        if not self._pending_deletes:  # only puts (the common case): the (key, value) items are the rows
            _insert_rows(conn, list(pending.items()))
            return
        self._pending_deletes = False
        puts = [(k, v) for k, v in pending.items() if v is not None]
        deletes = [(k,) for k, v in pending.items() if v is None]
        if puts:
            _insert_rows(conn, puts)
        if deletes:
            conn.executemany(RUNTIME + "DELETE FROM _cf_KV WHERE key = ?", deletes)

    def flush(self) -> None:
        """Commit pending writes now (the output gate before a response leaves)."""
        if self._savepoints:
            return
        self._apply_pending()
        conn = self._file.conn
        if conn is not None and conn.in_transaction:
            conn.commit()
        if len(self._cache) > CACHE_LIMIT:
            self._cache.clear()  # puts never trim the cache (that would cost every put a check); commits do

    def discard(self) -> None:
        """Roll back writes not yet committed (the object was aborted: its output gate broke)."""
        self._pending.clear()
        self._cache.clear()
        conn = self._file.conn
        if conn is not None and conn.in_transaction:
            conn.rollback()
        self._savepoints = 0

    def _lookup(self, key: str) -> Any:
        """The cache entry for ``key`` (``_ABSENT``, ``_Encoded`` or a decoded immutable value), loading it."""
        try:
            return self._cache[key]
        except KeyError:
            pass
        if key in self._pending:  # the cache was trimmed while this write was still pending
            data = self._pending[key]
        else:
            row = self._connection().execute(RUNTIME + "SELECT value FROM _cf_KV WHERE key = ?", (key,)).fetchone()
            data = None if row is None else bytes(row[0])
        if len(self._cache) >= CACHE_LIMIT:
            self._cache.clear()  # safe: pending writes are looked up in _pending above
        entry = _ABSENT if data is None else _Encoded(data)
        self._cache[key] = entry
        return entry

    def _decode(self, key: str, entry: Any) -> Any:
        if type(entry) is _Encoded:
            value = v8.deserialize(entry.data)
            if type(value) in _IMMUTABLE:
                self._cache[key] = value  # the next get returns it without decoding
            return value
        return None if entry is _ABSENT else entry

    def _store(self, key: str, data: bytes | None, value: Any = None) -> None:
        if self._savepoints:  # inside transaction(): write through, so that a rollback undoes it
            conn = self._write_connection()
            if data is None:
                conn.execute(RUNTIME + "DELETE FROM _cf_KV WHERE key = ?", (key,))
            else:
                conn.execute(RUNTIME + "INSERT OR REPLACE INTO _cf_KV (key, value) VALUES (?, ?)", (key, data))
        else:
            self._pending[key] = data
            if data is None:
                self._pending_deletes = True
            if not self._commit_scheduled:
                self._schedule_commit()
        if data is None:
            self._cache[key] = _ABSENT
        else:
            self._cache[key] = value if type(value) is str else _Encoded(data)

    # -- KV -------------------------------------------------------------------------------------------------------

    def _get_one(self, key: str) -> Any:
        try:
            entry = self._cache[key]
        except KeyError:
            entry = self._lookup(key)
        return entry if type(entry) is str else self._decode(key, entry)

    async def get(self, keys: Any, options: Any = None, **kwargs: Any) -> Any:
        # the common case inline (one string key, cached): this is the per-op cost of ``await storage.get(k)``
        if type(keys) is str:
            try:
                entry = self._cache[keys]
            except KeyError:
                entry = self._lookup(keys)
            return entry if type(entry) is str else self._decode(keys, entry)
        return self._get(keys)

    def _get(self, keys: Any) -> Any:
        if isinstance(keys, (list, tuple)):
            names = sorted({_key(k) for k in keys}, key=lambda k: k.encode())
            found = ((name, self._lookup(name)) for name in names)
            return {name: self._decode(name, entry) for name, entry in found if entry is not _ABSENT}
        return self._get_one(_key(keys))

    async def put(self, key: Any, value: Any = None, options: Any = None, **kwargs: Any) -> None:
        if type(key) is str and not self._savepoints:  # the common case inline, as in get()
            data = v8.serialize(value)
            self._pending[key] = data
            self._cache[key] = value if type(value) is str else _Encoded(data)
            if not self._commit_scheduled:
                self._schedule_commit()
            return
        self._put(key, value, options)

    def _put(self, key: Any, value: Any, options: Any = None) -> None:
        if isinstance(key, dict):
            if value is not None and not isinstance(value, dict):
                raise TypeError(
                    "put() may only be called with a single key-value pair and optional options as arguments. "
                    "Did you mean to pass an object of key-value pairs instead?"
                )
            rows = [(_key(k), v8.serialize(v)) for k, v in key.items()]  # all serialised before any is stored
            for (name, data), v in zip(rows, key.values(), strict=True):
                self._store(name, data, v)
        else:
            self._store(_key(key), v8.serialize(value), value)

    async def delete(self, keys: Any, options: Any = None, **kwargs: Any) -> Any:
        return self._delete(keys)

    def _delete(self, keys: Any) -> Any:
        if isinstance(keys, (list, tuple)):
            return sum(self._delete_one(_key(k)) for k in dict.fromkeys(keys))
        return self._delete_one(_key(keys))

    def _delete_one(self, key: str) -> bool:
        existed = self._lookup(key) is not _ABSENT
        if existed:
            self._store(key, None)
        return existed

    async def list(self, options: Any = None, **kwargs: Any) -> dict[str, Any]:
        return dict(self._list(_options(options, kwargs)))

    def _list(self, opts: dict[str, Any]) -> Iterator[tuple[str, Any]]:
        start, start_after, end = opts.get("start"), opts.get("startAfter"), opts.get("end")
        prefix, limit, reverse = opts.get("prefix"), opts.get("limit"), bool(opts.get("reverse"))
        if start is not None and start_after is not None:
            raise TypeError("list() cannot be called with both start and startAfter values.")
        if limit is not None and int(limit) <= 0:
            raise TypeError("List limit must be positive.")
        self._apply_pending()
        where: list[str] = []
        params: list[Any] = []
        if start is not None:
            where.append("key >= ?")
            params.append(_key(start))
        if start_after is not None:
            where.append("key > ?")
            params.append(_key(start_after))
        if end is not None:
            where.append("key < ?")
            params.append(_key(end))
        if prefix:
            # keys are compared as UTF-8 bytes (BINARY collation), so a prefix is a range
            where.append("key >= ? AND substr(key, 1, ?) = ?")
            params += [prefix, len(prefix), prefix]
        sql = RUNTIME + "SELECT key, value FROM _cf_KV"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY key" + (" DESC" if reverse else "")
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        for key, value in self._connection().execute(sql, params).fetchall():
            yield key, v8.deserialize(value)

    async def deleteAll(self, options: Any = None, **kwargs: Any) -> None:
        if self._savepoints:
            raise JsException("Cannot call deleteAll() within a transaction", name="Error")
        self._pending.clear()
        self._write_connection().execute(RUNTIME + "DELETE FROM _cf_KV")
        self._cache.clear()
        self._schedule_commit()
        if self._record.compat_delete_all_deletes_alarm:
            self._record.alarms.delete(self._record)

    delete_all = deleteAll

    # -- transactions ---------------------------------------------------------------------------------------------

    async def transaction(self, closure: Callable[[Any], Any], options: Any = None) -> Any:
        txn = Transaction(self)
        self._apply_pending()
        conn = self._write_connection()
        name = f"_fb_txn_{self._savepoints}"
        conn.execute(f"SAVEPOINT {name}")
        self._savepoints += 1
        try:
            result = closure(txn)
            if inspect.isawaitable(result):
                result = await result
        except BaseException:
            self._end_savepoint(name, rollback=True)
            txn._state = "rolled back"
            raise
        self._end_savepoint(name, rollback=txn._state == "rolled back")
        if txn._state != "rolled back":
            txn._state = "committed"
        return result

    def transactionSync(self, fn: Callable[[], Any]) -> Any:
        if not self._sql_enabled:
            raise JsException("Durable Object is not backed by SQL.", name="Error")
        self._apply_pending()
        conn = self._write_connection()
        name = f"_fb_txn_{self._savepoints}"
        conn.execute(f"SAVEPOINT {name}")
        self._savepoints += 1
        try:
            result = fn()
        except BaseException:
            self._end_savepoint(name, rollback=True)
            raise
        self._end_savepoint(name, rollback=False)
        return result

    transaction_sync = transactionSync

    def _end_savepoint(self, name: str, *, rollback: bool) -> None:
        conn = self._connection()
        self._savepoints -= 1
        if rollback:
            conn.execute(f"ROLLBACK TO {name}")
            self._cache.clear()  # values written inside the transaction were cached
        conn.execute(f"RELEASE {name}")

    async def sync(self) -> None:
        self.flush()

    # -- SQL and the sync KV API ----------------------------------------------------------------------------------

    @property
    def sql(self) -> SqlStorage:
        if not self._sql_enabled:
            raise JsException(_SQL_DISABLED, name="Error")
        return self._sql

    @property
    def kv(self) -> SyncKvStorage:
        if not self._sql_enabled:
            raise JsException(_KV_DISABLED, name="Error")
        return self._kv

    def getCurrentBookmark(self) -> Any:
        raise NotImplementedError(
            "ctx.storage.getCurrentBookmark() / point-in-time recovery is not simulated by flarebind"
        )

    getBookmarkForTime = onNextSessionRestoreBookmark = getCurrentBookmark

    # -- alarms ---------------------------------------------------------------------------------------------------

    async def getAlarm(self, options: Any = None, **kwargs: Any) -> int | None:
        return self._record.alarms.get(self._record)

    async def setAlarm(self, when: Any, options: Any = None, **kwargs: Any) -> None:
        if isinstance(when, datetime.datetime):
            aware = when if when.tzinfo else when.replace(tzinfo=datetime.timezone.utc)
            ms = aware.timestamp() * 1000
        else:
            ms = float(when)
        if ms <= 0:
            raise TypeError("setAlarm() cannot be called with an alarm time <= 0")
        if not self._record.has_alarm_handler():
            raise TypeError("Your Durable Object class must have an alarm() handler in order to call setAlarm()")
        self._record.alarms.set(self._record, int(ms))

    async def deleteAlarm(self, options: Any = None, **kwargs: Any) -> None:
        self._record.alarms.delete(self._record)

    get_alarm, set_alarm, delete_alarm = getAlarm, setAlarm, deleteAlarm

    def _write_alarm_metadata(self, ms: int | None) -> None:
        conn = self._write_connection()
        if ms is None:
            conn.execute(RUNTIME + "DELETE FROM _cf_METADATA WHERE key = ?", (ALARM_KEY,))
        else:
            conn.execute(
                RUNTIME + "INSERT OR REPLACE INTO _cf_METADATA (key, value) VALUES (?, ?)", (ALARM_KEY, ms * 1_000_000)
            )


class Transaction:
    """The ``txn`` a ``transaction()`` closure gets: the KV and alarm API, plus ``rollback()``."""

    def __init__(self, storage: DurableObjectStorage) -> None:
        self._storage = storage
        self._state = "open"

    def _check(self, op: str) -> DurableObjectStorage:
        if self._state == "rolled back":
            raise JsException(f"Cannot {op} on rolled back transaction", name="Error")
        if self._state == "committed":
            raise JsException(
                f"Cannot call {op} on transaction that has already committed: did you move `txn` outside of the "
                "closure?",
                name="Error",
            )
        return self._storage

    async def get(self, keys: Any, options: Any = None, **kwargs: Any) -> Any:
        return self._check("get()")._get(keys)

    async def put(self, key: Any, value: Any = None, options: Any = None, **kwargs: Any) -> None:
        self._check("put()")._put(key, value, options)

    async def delete(self, keys: Any, options: Any = None, **kwargs: Any) -> Any:
        return self._check("delete()")._delete(keys)

    async def list(self, options: Any = None, **kwargs: Any) -> dict[str, Any]:
        return dict(self._check("list()")._list(_options(options, kwargs)))

    async def deleteAll(self, options: Any = None, **kwargs: Any) -> None:
        raise JsException("Cannot call deleteAll() within a transaction", name="Error")

    async def getAlarm(self, options: Any = None, **kwargs: Any) -> Any:
        return await self._check("getAlarm()").getAlarm()

    async def setAlarm(self, when: Any, options: Any = None, **kwargs: Any) -> None:
        await self._check("setAlarm()").setAlarm(when)

    async def deleteAlarm(self, options: Any = None, **kwargs: Any) -> None:
        await self._check("deleteAlarm()").deleteAlarm()

    def rollback(self) -> None:
        self._check("rollback()")
        self._state = "rolled back"


class SyncKvStorage:
    """``ctx.storage.kv``: the synchronous KV API of SQLite-backed objects (same table as the async API)."""

    def __init__(self, storage: DurableObjectStorage) -> None:
        self._storage = storage

    def get(self, key: Any) -> Any:
        return self._storage._get_one(_key(key))

    def put(self, key: Any, value: Any) -> None:
        self._storage._put(key, value)

    def delete(self, key: Any) -> bool:
        return bool(self._storage._delete(key))

    def list(self, options: Any = None, **kwargs: Any) -> Iterator[list[Any]]:
        return ([k, v] for k, v in self._storage._list(_options(options, kwargs)))
