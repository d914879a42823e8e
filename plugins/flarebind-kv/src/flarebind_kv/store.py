"""KV persistence in wrangler's (Miniflare v3) layout: one SQLite file of rows, one blob file per value.

```
<persist>/v3/kv/miniflare-KVNamespaceObject/<durable object file name>.sqlite   table _mf_entries
<persist>/v3/kv/miniflare-KVNamespaceObject/metadata.sqlite
<persist>/v3/kv/<namespace id>/blobs/<blob id>                                    the value bytes
```

Crash safety (see ``flarebind.storage.blobs``): a value's blob file is in place *before* the row that points at it
commits, and the blob a put replaces (or a delete removes) is unlinked only *after* the commit.

Several processes may use one namespace: WAL lets readers run beside a writer, writes take ``BEGIN IMMEDIATE`` (no
read-to-write upgrade that could fail halfway), and a reader whose blob vanished under it (replaced by another
process between its row read and its file read) re-reads the row.

Where work runs: every operation is tried on the event loop first (:meth:`KVStore.now`), with a busy timeout of 0;
when another process holds the write lock it fails at once and runs again on the namespace's own thread
(:meth:`KVStore.later`), which waits for the lock with back-off, so ``flarebind dev`` keeps serving meanwhile.

Values up to ``CACHE_MAX_VALUE`` are cached in process by blob id (blob files never change): a read always goes
to SQLite for the row (which is coherent across processes) and only the immutable bytes come from the cache.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import AsyncIterable, Callable
from pathlib import Path
from typing import Any

from flarebind.plugin import (
    BlobStore,
    DatabaseThread,
    FileBlobStore,
    MemoryBlobStore,
    confined,
    connect,
    durable_object_file_name,
    ensure_metadata_db,
    is_busy,
    retry_busy,
)

OBJECT_KEY = "miniflare-KVNamespaceObject"

SCHEMA = """
CREATE TABLE IF NOT EXISTS _mf_entries (
  key TEXT PRIMARY KEY,
  blob_id TEXT NOT NULL,
  expiration INTEGER,
  metadata TEXT
);
CREATE INDEX IF NOT EXISTS _mf_entries_expiration_idx ON _mf_entries(expiration);
"""

# a value cache by blob id: small values only, bounded in total
CACHE_MAX_VALUE = 1 << 20
CACHE_MAX_TOTAL = 64 << 20
# optimistic read-then-conditional-write rounds before falling back to a locked transaction
_CAS_ATTEMPTS = 4

Row = tuple[str, "int | None", "str | None"]  # blob_id, expiration (ms), metadata JSON text

LATER: Any = object()  # what :meth:`KVStore.now` returns when the work must run on the namespace's thread


def namespace_paths(persist_v3_kv: Path, namespace_id: str) -> tuple[Path, Path]:
    """``(sqlite file, blob folder root)`` for a namespace id, exactly as wrangler names them."""
    blob_root = confined(persist_v3_kv, namespace_id, "KV namespace id")  # never a path outside the state folder
    db = persist_v3_kv / OBJECT_KEY / durable_object_file_name(OBJECT_KEY, namespace_id)
    return db, blob_root


async def put_stream(blobs: BlobStore, chunks: AsyncIterable[bytes], limit: int) -> tuple[str | None, int]:
    """Write chunks until ``limit`` bytes; past it keep counting (the error reports the full length).

    Returns ``(None, size)`` when the value was too large (nothing is left behind).
    """
    writer = blobs.writer()
    size = 0
    try:
        async for chunk in chunks:
            data = _chunk_bytes(chunk)
            size += len(data)
            if size <= limit:
                writer.write(data)
    except BaseException:
        writer.abort()
        raise
    if size > limit:
        writer.abort()
        return None, size
    return writer.commit(), size


def _chunk_bytes(chunk: object) -> bytes:
    if isinstance(chunk, bytes):
        return chunk
    if isinstance(chunk, str):
        return chunk.encode("utf-8")
    try:
        return bytes(memoryview(chunk))  # type: ignore[arg-type]
    except TypeError:
        raise TypeError(f"KV put() stream chunks must be bytes-like (Uint8Array), got {type(chunk).__name__}") from None


class KVStore:
    """Rows + blobs of one namespace. Synchronous and short: callers never await while a transaction is open."""

    def __init__(self, db_path: Path | None, blob_root: Path | None) -> None:
        self.db_path = db_path
        if db_path is None:
            self.blobs: BlobStore = MemoryBlobStore()
            self.conn = connect(None)
        else:
            assert blob_root is not None
            self.blobs = FileBlobStore(blob_root, cache_max_value=CACHE_MAX_VALUE, cache_max_total=CACHE_MAX_TOTAL)
            self.conn = _open_shared(db_path)
            ensure_metadata_db(db_path.parent)
        # the value bytes of a blob id (cached in process for files); raises BlobMissing
        self.value = self.blobs.get
        _retry_locked(lambda: self.conn.executescript(SCHEMA))
        self._closed = False
        # the connection is used by the loop and the thread, never both at once
        self._lock = threading.Lock()
        self.thread = DatabaseThread(f"kv-{db_path.stem[:12] if db_path else 'memory'}")

    # -- where work runs ----------------------------------------------------------------------------------------

    def now(self, fn: Callable[..., Any], *args: Any) -> Any:
        """``fn(*args)`` here and now, or :data:`LATER` when the thread has this namespace or a lock is held."""
        if not self._lock.acquire(blocking=False):
            return LATER
        try:
            return fn(*args)
        except sqlite3.OperationalError as exc:
            if is_busy(exc):
                return LATER  # every operation is safe to run again: nothing was written
            raise
        finally:
            self._lock.release()

    async def later(self, fn: Callable[..., Any], *args: Any) -> Any:
        """``fn(*args)`` on the namespace's thread, waiting out other processes' locks (up to the busy timeout)."""
        return await self.thread.run(self._blocking, fn, *args)

    def _blocking(self, fn: Callable[..., Any], *args: Any) -> Any:
        with self._lock:
            return retry_busy(lambda: fn(*args))

    async def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        result = self.now(fn, *args)
        if result is LATER:
            result = await self.later(fn, *args)
        return result

    # -- reads ---------------------------------------------------------------------------------------------------

    def row(self, key: str) -> Row | None:
        return self.conn.execute(
            "SELECT blob_id, expiration, metadata FROM _mf_entries WHERE key = ?", (key,)
        ).fetchone()

    def list(self, prefix: str, start_after: str, limit: int, now_ms: int) -> list[tuple[str, int | None, str | None]]:
        """Up to ``limit`` live rows after ``start_after`` with ``prefix``, in UTF-8 byte order (SQLite BINARY)."""
        lower = max(prefix, start_after)
        upper = prefix_upper_bound(prefix)
        op = ">" if start_after and start_after >= prefix else ">="
        sql = f"SELECT key, expiration, metadata FROM _mf_entries WHERE key {op} ?"
        params: list[object] = [lower]
        if upper is not None:
            sql += " AND key < ?"
            params.append(upper)
        sql += " AND (expiration IS NULL OR expiration > ?) ORDER BY key LIMIT ?"
        params += [now_ms, limit]
        return self.conn.execute(sql, params).fetchall()

    # -- writes --------------------------------------------------------------------------------------------------

    def commit_put(self, key: str, blob_id: str, expiration_ms: int | None, metadata: str | None) -> None:
        """Point ``key`` at a blob already in place (blocking); the replaced blob is removed after the commit."""
        try:
            replaced = self._blocking(self.put_row, key, blob_id, expiration_ms, metadata)
        except BaseException:
            self.blobs.delete(blob_id)  # the row never pointed at it
            raise
        self.forget_replaced(replaced, blob_id)

    def forget_replaced(self, replaced: str | None, blob_id: str) -> None:
        if replaced is not None and replaced != blob_id:
            self._forget(replaced)

    def put_row(self, key: str, blob_id: str, expiration_ms: int | None, metadata: str | None) -> str | None:
        """Point ``key`` at a blob already in place; returns the blob id it replaced (remove it after this).

        Two statements, each its own (autocommit) transaction: read the current blob id, then insert — or update
        only if the row still points at that blob. Either way exactly one writer learns which blob it replaced,
        even with other processes writing the same key; if another writer got in between, read again. Nothing is
        written when it fails, so a "database is locked" failure can simply be run again.
        """
        conn = self.conn
        replaced = None
        for _ in range(_CAS_ATTEMPTS):
            old = conn.execute("SELECT blob_id FROM _mf_entries WHERE key = ?", (key,)).fetchone()
            if old is None:
                try:
                    conn.execute(
                        "INSERT INTO _mf_entries (key, blob_id, expiration, metadata) VALUES (?, ?, ?, ?)",
                        (key, blob_id, expiration_ms, metadata),
                    )
                except sqlite3.IntegrityError:
                    continue  # inserted by another process meanwhile
                break
            cur = conn.execute(
                "UPDATE _mf_entries SET blob_id = ?, expiration = ?, metadata = ? WHERE key = ? AND blob_id = ?",
                (blob_id, expiration_ms, metadata, key, old[0]),
            )
            if cur.rowcount == 1:
                replaced = old[0]
                break
        else:
            replaced = self._commit_put_locked(key, blob_id, expiration_ms, metadata)
        return replaced

    def _commit_put_locked(self, key: str, blob_id: str, expiration_ms: int | None, metadata: str | None) -> str | None:
        # under heavy contention on one key: take the write lock first, then read and replace
        conn = self.conn
        try:
            conn.execute("BEGIN IMMEDIATE")  # "database is locked" at once: the caller waits off the loop
            old = conn.execute("SELECT blob_id FROM _mf_entries WHERE key = ?", (key,)).fetchone()
            conn.execute(
                "INSERT OR REPLACE INTO _mf_entries (key, blob_id, expiration, metadata) VALUES (?, ?, ?, ?)",
                (key, blob_id, expiration_ms, metadata),
            )
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        return None if old is None else old[0]

    def delete(self, key: str) -> None:
        conn = self.conn
        for _ in range(_CAS_ATTEMPTS):
            old = conn.execute("SELECT blob_id FROM _mf_entries WHERE key = ?", (key,)).fetchone()
            if old is None:
                return
            if conn.execute("DELETE FROM _mf_entries WHERE key = ? AND blob_id = ?", (key, old[0])).rowcount == 1:
                self._forget(old[0])
                return
        self._delete_where("key = ?", (key,))

    def drop_expired(self, key: str, blob_id: str) -> None:
        """Remove one expired row, unless another writer has replaced it meanwhile (as Miniflare does on read)."""
        self._delete_where("key = ? AND blob_id = ?", (key, blob_id))

    def purge_expired(self, now_ms: int) -> None:
        """Delete every expired row (cheap index probe first, so lists only write when there is something to do)."""
        probe = self.conn.execute("SELECT 1 FROM _mf_entries WHERE expiration <= ? LIMIT 1", (now_ms,)).fetchone()
        if probe is not None:
            self._delete_where("expiration <= ?", (now_ms,))

    def _delete_where(self, where: str, params: tuple[object, ...]) -> None:
        # SELECT + DELETE in one write transaction (no RETURNING: SQLite < 3.35 still ships with Python 3.10)
        conn = self.conn
        try:
            conn.execute("BEGIN IMMEDIATE")  # "database is locked" at once: the caller waits off the loop
            gone = conn.execute(f"SELECT blob_id FROM _mf_entries WHERE {where}", params).fetchall()
            if gone:
                conn.execute(f"DELETE FROM _mf_entries WHERE {where}", params)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        for (blob_id,) in gone:
            self._forget(blob_id)

    def _forget(self, blob_id: str) -> None:
        self.blobs.delete(blob_id)

    def put_bytes(self, data: bytes | memoryview) -> str:
        return self.blobs.put(data)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self.thread.close()
            self.conn.close()


def prefix_upper_bound(prefix: str) -> str | None:
    """The smallest string above every string starting with ``prefix`` (code point order == UTF-8 byte order)."""
    chars = list(prefix)
    while chars:
        last = ord(chars.pop())
        if last < 0x10FFFF:
            nxt = last + 1
            if 0xD800 <= nxt <= 0xDFFF:
                nxt = 0xE000
            return "".join(chars) + chr(nxt)
    return None


def _open_shared(path: Path) -> sqlite3.Connection:
    # Busy timeout 0: waiting for another process's lock happens on the namespace's thread, never inside SQLite on
    # the event loop. Switching a new file to WAL takes a lock, so opening retries briefly.
    return _retry_locked(lambda: connect(path, busy_timeout_ms=0))


def _retry_locked(fn, attempts: int = 200):  # type: ignore[no-untyped-def]
    delay = 0.001
    for attempt in range(attempts):
        try:
            return fn()
        except sqlite3.OperationalError as exc:
            if ("locked" not in str(exc) and "busy" not in str(exc)) or attempt == attempts - 1:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.05)
    raise AssertionError("unreachable")
