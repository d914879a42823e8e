"""Vectorize state on disk: one SQLite file per index, kept in step with an in-memory matrix per process.

```
<persist>/v3/vectorize/<index name>.sqlite
  config            key/value: dimensions, metric, description, created_on, modified_on, last mutation
  segments          id, live (rows still pointing here), data: the values of one written batch, float32
                    little-endian, row after row (one BLOB per batch writes about as fast as a file)
  vectors           id PRIMARY KEY, namespace, metadata (JSON), indexed (JSON: what its metadata indexes held when
                    the vector was written), segment + position (where its values are)
  metadata_indexes  property PRIMARY KEY, type (string | number | boolean)
  changes           seq AUTOINCREMENT, ids (JSON list; NULL: the set of metadata indexes changed): the write log
                    other processes replay to update their matrices incrementally
```

A segment is deleted in the transaction that moves its last live row away (upserted or deleted).

Index names are checked (:func:`~flarebind_vectorize.validation.check_index_name`) before they become file names, so
nothing leaves the state folder. Crash safety: a new index is written to a temporary file and linked into place only
once its configuration is complete; every mutation is one SQLite transaction (WAL, ``synchronous = NORMAL``) that
writes the rows and the change log together, so a killed process leaves either the whole batch or none of it.

Two processes may share an index: writes take ``BEGIN IMMEDIATE`` and replay the change log inside it before writing;
reads replay whatever appeared since they last looked (one indexed ``max(seq)`` probe when nothing changed). The log is
pruned past ``LOG_KEEP`` entries; a process that fell further behind reloads the index whole.
"""

from __future__ import annotations

import itertools
import json
import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flarebind.plugin import connect

from flarebind_vectorize import errors as e
from flarebind_vectorize import validation as v
from flarebind_vectorize.checkpoint import Checkpointer

SCHEMA = """
CREATE TABLE IF NOT EXISTS config (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS segments (id INTEGER PRIMARY KEY, live INTEGER NOT NULL, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS vectors (
  id TEXT PRIMARY KEY,
  namespace TEXT,
  metadata TEXT,
  indexed TEXT,
  segment INTEGER NOT NULL,
  position INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS metadata_indexes (property TEXT PRIMARY KEY, type TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS changes (seq INTEGER PRIMARY KEY AUTOINCREMENT, ids TEXT);
"""
LOG_KEEP = 200_000
# Large pages: a batch of 1000 768-dimension vectors is one 3 MB BLOB, which with SQLite's default 4 KiB pages is a
# chain of ~750 overflow pages (and a WAL checkpoint per batch); 64 KiB pages write it about five times faster. The
# page size is fixed when the file is created, so it is set before the schema.
PAGE_SIZE = 65536
_SUFFIX = ".sqlite"


def now_iso() -> str:
    t = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int(t % 1 * 1e6):06d}Z"


class Catalog:
    """The indexes of one state folder (``<persist>/v3/vectorize``), or of one in-memory context."""

    def __init__(self, root: Path | str | None) -> None:
        self.root = None if root is None else Path(root)
        self._memory: dict[str, IndexStore] = {}
        self._open: dict[str, IndexStore] = {}
        self._lock = threading.Lock()

    def path(self, name: str) -> Path:
        assert self.root is not None
        return self.root / (v.check_index_name(name) + _SUFFIX)

    def where(self, name: str) -> str:
        return "in memory" if self.root is None else str(self.path(name))

    def create(self, name: str, dimensions: int, metric: str, description: str | None = None) -> dict[str, Any]:
        v.check_index_name(name)
        dimensions, metric = v.check_config(dimensions, metric)
        stamp = now_iso()
        config = {
            "name": name,
            "dimensions": str(dimensions),
            "metric": metric,
            "description": description or "",
            "created_on": stamp,
            "modified_on": stamp,
        }
        with self._lock:
            if self.root is None:
                if name in self._memory:
                    raise e.IndexExists(name)
                store = IndexStore(name, None, connect(None), self)
                store.initialise(config)
                self._memory[name] = store
                return store.info()
            final = self.path(name)
            final.parent.mkdir(parents=True, exist_ok=True)
            if final.exists():
                raise e.IndexExists(name)
            tmp = final.with_name(f".{name}.{uuid.uuid4().hex}.creating")
            conn = sqlite3.connect(str(tmp), isolation_level=None)
            try:
                conn.execute(f"PRAGMA page_size = {PAGE_SIZE}")
                conn.executescript(SCHEMA)
                conn.executemany("INSERT INTO config (key, value) VALUES (?, ?)", list(config.items()))
            finally:
                conn.close()
            try:
                os.link(tmp, final)  # fails if another process created the index meanwhile: never overwrites
            except FileExistsError:
                raise e.IndexExists(name) from None
            finally:
                tmp.unlink()
        return self.open(name).info()

    def exists(self, name: str) -> bool:
        if self.root is None:
            return name in self._memory
        return self.path(name).exists()

    def open(self, name: str) -> IndexStore:
        """The index's store (one per catalog and index), or :class:`~flarebind_vectorize.errors.IndexNotFound`."""
        with self._lock:
            if self.root is None:
                store = self._memory.get(name)
                if store is None:
                    raise e.IndexNotFound(name, "in memory")
                return store
            path = self.path(name)
            store = self._open.get(name)
            if store is not None and store.is_current():
                return store
            if store is not None:
                store.close()
            try:
                ino = path.stat().st_ino
            except FileNotFoundError:
                raise e.IndexNotFound(name, str(path)) from None
            store = IndexStore(name, path, _retry_locked(lambda: connect(path)), self, ino)
            self._open[name] = store
            return store

    def names(self) -> list[str]:
        if self.root is None:
            return sorted(self._memory)
        if not self.root.is_dir():
            return []
        return sorted(p.name[: -len(_SUFFIX)] for p in self.root.iterdir() if p.name.endswith(_SUFFIX))

    def delete(self, name: str) -> None:
        with self._lock:
            if self.root is None:
                store = self._memory.pop(name, None)
                if store is None:
                    raise e.IndexNotFound(name, "in memory")
                store.close()
                return
            path = self.path(name)
            store = self._open.pop(name, None)
            if store is not None:
                store.close()
            try:
                path.unlink()
            except FileNotFoundError:
                raise e.IndexNotFound(name, str(path)) from None
            for extra in ("-wal", "-shm"):
                Path(str(path) + extra).unlink(missing_ok=True)

    def close(self) -> None:
        with self._lock:
            for store in [*self._open.values(), *self._memory.values()]:
                store.close()
            self._open.clear()
            self._memory.clear()


class IndexStore:
    """One index: its SQLite rows and this process's matrix of them. Every public method holds the store's lock
    (bindings may call from worker threads) and is synchronous and short."""

    def __init__(self, name: str, path: Path | None, conn: sqlite3.Connection, catalog: Catalog, ino: int = 0) -> None:
        self.name = name
        self.path = path
        self.conn = conn
        self.catalog = catalog
        self.ino = ino
        self.lock = threading.RLock()
        self.closed = False
        self.seen = 0
        self.matrix: Any = None
        self.config: dict[str, str] = {}
        self.indexes: dict[str, str] = {}
        self.checkpointer = None if path is None else Checkpointer(path)

    def initialise(self, config: Mapping[str, str]) -> None:
        """In-memory indexes: schema and configuration (on disk this happens in :meth:`Catalog.create`)."""
        self.conn.execute(f"PRAGMA page_size = {PAGE_SIZE}")
        self.conn.executescript(SCHEMA)
        self.conn.executemany("INSERT INTO config (key, value) VALUES (?, ?)", list(config.items()))

    def is_current(self) -> bool:
        """Still the file at the index's path (not deleted, nor deleted and created again by another process)."""
        if self.closed or self.path is None:
            return not self.closed
        try:
            return self.path.stat().st_ino == self.ino
        except FileNotFoundError:
            return False

    def close(self) -> None:
        with self.lock:
            if not self.closed:
                self.closed = True
                if self.checkpointer is not None:
                    self.checkpointer.close()
                self.conn.close()

    @property
    def dimensions(self) -> int:
        if not self.config:
            with self.lock:
                self.sync()
        return int(self.config["dimensions"])

    @property
    def metric(self) -> str:
        return self.config["metric"]

    # -- keeping the matrix in step --------------------------------------------------------------------------------

    def _check_open(self) -> None:
        if self.closed or not self.is_current():
            raise e.IndexNotFound(self.name, self.catalog.where(self.name))

    def sync(self) -> None:
        """Replay what other processes wrote since we last looked (everything, the first time)."""
        self._check_open()
        if self.matrix is None:
            self._load()
            return
        latest = self.conn.execute("SELECT max(seq) FROM changes").fetchone()[0] or 0
        if latest == self.seen:
            return
        pruned = self.conn.execute("SELECT value FROM config WHERE key = 'pruned_below'").fetchone()
        if pruned is not None and self.seen < int(pruned[0]):
            self._load()
            return
        changed = self.conn.execute("SELECT ids FROM changes WHERE seq > ? AND seq <= ?", (self.seen, latest))
        ids: set[str] = set()
        for (entry,) in changed.fetchall():
            if entry is None:
                self._read_indexes()
                self.matrix.set_indexes(self.indexes)
            else:
                ids.update(json.loads(entry))
        self._reload_rows(sorted(ids))
        self.seen = latest

    def _read_indexes(self) -> None:
        self.indexes = dict(self.conn.execute("SELECT property, type FROM metadata_indexes").fetchall())

    def _load(self) -> None:
        from flarebind_vectorize.matrix import Matrix

        conn = self.conn
        own = not conn.in_transaction
        try:
            if own:
                conn.execute("BEGIN")  # one snapshot for config, rows and the log position
            self.config = dict(conn.execute("SELECT key, value FROM config").fetchall())
            self._read_indexes()
            self.seen = conn.execute("SELECT max(seq) FROM changes").fetchone()[0] or 0
            count = conn.execute("SELECT count(*) FROM vectors").fetchone()[0]
            matrix = Matrix(self.dimensions, self.metric, self.indexes, capacity=max(1024, count))
            # one segment at a time: its rows' values are one gather from the segment's matrix, written as a batch
            cursor = conn.execute(
                "SELECT segment, position, id, namespace, indexed FROM vectors ORDER BY segment, position"
            )
            for segment, rows in itertools.groupby(cursor, key=lambda row: row[0]):
                rows = list(rows)
                block = self._segment(segment)[[row[1] for row in rows]]
                matrix.put_batch(
                    [row[2] for row in rows],
                    block,
                    [row[3] for row in rows],
                    [json.loads(row[4]) if row[4] else None for row in rows],
                )
        finally:
            if own:
                conn.execute("COMMIT")
        self.matrix = matrix

    def _segment(self, segment: int) -> Any:
        import numpy as np

        data = self.conn.execute("SELECT data FROM segments WHERE id = ?", (segment,)).fetchone()[0]
        return np.frombuffer(data, dtype="<f4").reshape(-1, self.dimensions)

    def _rows_of(self, conn: sqlite3.Connection, columns: str, ids: list[str]) -> dict[str, tuple[Any, ...]]:
        found: dict[str, tuple[Any, ...]] = {}
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            marks = ",".join("?" * len(chunk))
            for row in conn.execute(f"SELECT id, {columns} FROM vectors WHERE id IN ({marks})", chunk):
                found[row[0]] = row
        return found

    def _reload_rows(self, ids: list[str]) -> None:
        found = self._rows_of(self.conn, "namespace, indexed, segment, position", ids)
        blocks: dict[int, Any] = {}
        rows = []
        for vid in ids:
            row = found.get(vid)
            if row is None:
                self.matrix.remove(vid)
                continue
            block = blocks.get(row[3])
            if block is None:
                block = blocks[row[3]] = self._segment(row[3])
            rows.append((vid, block[row[4]], row[1], json.loads(row[2]) if row[2] else None))
        self.matrix.put_many(rows)

    def _write(self, fn: Any) -> Any:
        """Run ``fn`` inside a write transaction, after replaying other processes' writes; keep our place in the log."""
        with self.lock:
            self.sync()
            conn = self.conn
            try:
                _retry_locked(lambda: conn.execute("BEGIN IMMEDIATE"))
                self.sync()
                result = fn(conn)
                latest = conn.execute("SELECT max(seq) FROM changes").fetchone()[0] or 0
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            self.seen = latest
            return result

    def _mutation(self, conn: sqlite3.Connection) -> str:
        mutation = str(uuid.uuid4())
        conn.executemany(
            "INSERT OR REPLACE INTO config (key, value) VALUES (?, ?)",
            [("last_mutation", mutation), ("last_mutation_at", now_iso())],
        )
        return mutation

    def _prune(self, conn: sqlite3.Connection) -> None:
        latest = conn.execute("SELECT max(seq) FROM changes").fetchone()[0] or 0
        if latest % 1000 == 0 and latest > LOG_KEEP:  # now and then, not on every write
            below = latest - LOG_KEEP
            conn.execute("DELETE FROM changes WHERE seq < ?", (below,))
            conn.execute("INSERT OR REPLACE INTO config (key, value) VALUES ('pruned_below', ?)", (str(below),))

    def _release(self, conn: sqlite3.Connection, segments: list[int]) -> None:
        """Rows left these segments: count them down and drop the segments nothing points at any more."""
        counts: dict[int, int] = {}
        for segment in segments:
            counts[segment] = counts.get(segment, 0) + 1
        if counts:
            conn.executemany("UPDATE segments SET live = live - ? WHERE id = ?", [(n, s) for s, n in counts.items()])
            conn.executemany("DELETE FROM segments WHERE id = ? AND live <= 0", [(s,) for s in counts])

    # -- operations -----------------------------------------------------------------------------------------------

    def write_vectors(self, rows: list[tuple[str, Any, str | None, str | None]], *, replace: bool) -> str:
        """Insert (existing ids are skipped) or upsert (replaced in full) checked rows; returns the mutation id."""
        if replace:
            batch = dict((r[0], r) for r in rows)  # the last of duplicate ids wins
        else:
            batch = {}
            for r in rows:
                batch.setdefault(r[0], r)  # the first wins

        def apply(conn: sqlite3.Connection) -> tuple[str, Any]:
            import numpy as np

            todo = list(batch.values())
            existing = self._rows_of(conn, "segment", [r[0] for r in todo])
            if not replace and existing:
                todo = [r for r in todo if r[0] not in existing]
            applied = None
            if todo:
                block = getattr(rows, "block", None)
                if block is None or len(todo) != len(rows):  # no duplicates, nothing skipped: the rows are the block
                    block = np.stack([r[1] for r in todo])
                block = block.astype("<f4", copy=False)
                segment = conn.execute(  # the matrix's own bytes (a buffer): SQLite copies them once, no tobytes()
                    "INSERT INTO segments (live, data) VALUES (?, ?)",
                    (len(todo), memoryview(np.ascontiguousarray(block)).cast("B")),
                ).lastrowid
                ids = [r[0] for r in todo]
                indexed = self._indexed_of(todo)
                encode = v.compact_json
                conn.executemany(
                    "INSERT OR REPLACE INTO vectors (id, namespace, metadata, indexed, segment, position) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    [
                        (r[0], r[2], r[3], encode(ix) if ix else None, segment, position)
                        for position, (r, ix) in enumerate(zip(todo, indexed, strict=True))
                    ],
                )
                if existing:
                    self._release(conn, [existing[r[0]][1] for r in todo if r[0] in existing])
                conn.execute("INSERT INTO changes (ids) VALUES (?)", (encode(ids),))
                applied = (ids, block, [r[2] for r in todo], [ix or None for ix in indexed])
            mutation = self._mutation(conn)
            self._prune(conn)
            return mutation, applied

        with self.lock:
            mutation, applied = self._write(apply)
            if applied is not None:
                self.matrix.put_batch(*applied)
                if self.checkpointer is not None:
                    self.checkpointer.wrote(applied[1].nbytes)
        return mutation

    def _indexed_of(self, rows: list[tuple[str, Any, str | None, str | None]]) -> list[dict[str, Any] | None]:
        """What the metadata indexes hold for each row (``None``: nothing), from the metadata objects kept."""
        if not self.indexes:
            return [None] * len(rows)
        out: list[dict[str, Any] | None] = []
        for r in rows:
            meta = r[3]
            if not meta:
                out.append(None)
                continue
            obj = getattr(meta, "obj", None)
            out.append(v.indexed_values(obj if obj is not None else json.loads(meta), self.indexes))
        return out

    def delete_vectors(self, ids: list[str]) -> str:
        def apply(conn: sqlite3.Connection) -> tuple[str, list[str]]:
            existing = self._rows_of(conn, "segment", ids)
            if existing:
                conn.executemany("DELETE FROM vectors WHERE id = ?", [(i,) for i in existing])
                self._release(conn, [row[1] for row in existing.values()])
                conn.execute("INSERT INTO changes (ids) VALUES (?)", (json.dumps(sorted(existing)),))
            return self._mutation(conn), list(existing)

        mutation, gone = self._write(apply)
        for vid in gone:
            self.matrix.remove(vid)
        return mutation

    def get_vectors(self, ids: list[str]) -> list[tuple[str, str | None, list[float], str | None]]:
        """``(id, namespace, values, metadata JSON)`` of the ids that exist, in the order asked (values from the
        matrix, which holds exactly the stored float32 values)."""
        with self.lock:
            self.sync()
            found = self._rows_of(self.conn, "namespace, metadata", ids)
            seen: set[str] = set()
            out = []
            for vid in ids:
                values = self.matrix.values_of(vid)
                if vid in found and vid not in seen and values is not None:
                    seen.add(vid)
                    out.append((vid, found[vid][1], [float(x) for x in values], found[vid][2]))
            return out

    def search(self, query: Any, options: v.QueryOptions) -> list[dict[str, Any]]:
        """The exact top-k as ``{id, score, values?, metadata?, namespace?}`` dicts."""
        with self.lock:
            self.sync()
            if query.shape[0] != self.dimensions:
                raise e.vector_error(
                    "VECTOR_QUERY",
                    e.QUERY_DIMENSIONS,
                    f"invalid query vector, expected {self.dimensions} dimensions, and got {query.shape[0]} dimensions",
                )
            terms = v.parse_filter(options.filter, self.indexes) if options.filter is not None else []
            terms = [(p, op, _truncate(operand)) for p, op, operand in terms]
            matrix = self.matrix
            hits = matrix.search(query, options.top_k, options.namespace, terms)
            ids = [matrix.ids[slot] for slot, _ in hits]
            metadata: dict[str, str | None] = {}
            if ids and options.return_metadata != "none":  # the metadata of the few matches only
                wanted = "metadata" if options.return_metadata == "all" else "indexed"
                marks = ",".join("?" * len(ids))
                metadata = dict(self.conn.execute(f"SELECT id, {wanted} FROM vectors WHERE id IN ({marks})", ids))
            out = []
            for (slot, score), vid in zip(hits, ids, strict=False):
                match: dict[str, Any] = {"id": vid, "score": score}
                if options.return_values:
                    match["values"] = matrix.vectors[slot].tolist()  # float32 -> the same Python floats
                if options.return_metadata != "none":
                    text = metadata.get(vid)
                    meta = json.loads(text) if text else {}
                    match["metadata"] = meta if options.return_metadata == "all" else _nest(meta)
                namespace = matrix.namespace_of(slot)
                if namespace is not None:
                    match["namespace"] = namespace
                out.append(match)
            return out

    def list_ids(self, count: int, cursor: str | None) -> dict[str, Any]:
        """One page of vector ids in id order, after ``cursor`` (the last id of the previous page), in the shape of
        the REST API's ``list``. Unlike Cloudflare, pages are not a snapshot: a vector written between pages shows
        up if its id sorts after the cursor."""
        with self.lock:
            self.sync()
            after = "" if cursor is None else cursor
            rows = self.conn.execute(
                "SELECT id FROM vectors WHERE id > ? ORDER BY id LIMIT ?", (after, count + 1)
            ).fetchall()
            ids = [r[0] for r in rows[:count]]
            truncated = len(rows) > count
            return {
                "count": len(ids),
                "totalCount": len(self.matrix),
                "isTruncated": truncated,
                "nextCursor": ids[-1] if truncated else None,
                "vectors": [{"id": vid} for vid in ids],
            }

    def stored_values(self, vid: str) -> Any | None:
        with self.lock:
            self.sync()
            values = self.matrix.values_of(vid)
            return None if values is None else values.copy()

    def info(self) -> dict[str, Any]:
        with self.lock:
            self.sync()
            return {
                "name": self.name,
                "description": self.config.get("description", ""),
                "dimensions": self.dimensions,
                "metric": self.metric,
                "created_on": self.config.get("created_on"),
                "modified_on": self.config.get("modified_on"),
                "vectorCount": len(self.matrix),
                "processedUpToMutation": self._config_value("last_mutation"),
                "processedUpToDatetime": self._config_value("last_mutation_at"),
                "metadataIndexes": dict(self.indexes),
            }

    def _config_value(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM config WHERE key = ?", (key,)).fetchone()
        return None if row is None else row[0]

    def create_metadata_index(self, prop: str, kind: str) -> str:
        if kind not in v.METADATA_TYPES:
            raise ValueError(f"metadata index type must be one of {', '.join(v.METADATA_TYPES)}, got {kind!r}")
        if not prop or prop.startswith("$") or '"' in prop or len(prop) > v.MAX_FILTER_KEY_CHARS:
            raise ValueError(f"invalid metadata index property name {prop!r}")

        def apply(conn: sqlite3.Connection) -> str:
            if prop in self.indexes:
                raise ValueError(f'a metadata index on "{prop}" already exists for index "{self.name}"')
            if len(self.indexes) >= v.MAX_METADATA_INDEXES:
                raise ValueError(f"an index can have at most {v.MAX_METADATA_INDEXES} metadata indexes")
            conn.execute("INSERT INTO metadata_indexes (property, type) VALUES (?, ?)", (prop, kind))
            conn.execute("INSERT INTO changes (ids) VALUES (NULL)")
            return self._mutation(conn)

        mutation = self._write(apply)
        self._read_indexes()
        self.matrix.set_indexes(self.indexes)
        return mutation

    def delete_metadata_index(self, prop: str) -> str:
        def apply(conn: sqlite3.Connection) -> str:
            if prop not in self.indexes:
                raise ValueError(f'there is no metadata index on "{prop}" for index "{self.name}"')
            conn.execute("DELETE FROM metadata_indexes WHERE property = ?", (prop,))
            # vectors leave the index with it: re-creating it later starts empty, as on Cloudflare
            path = '$."' + prop + '"'
            conn.execute("UPDATE vectors SET indexed = json_remove(indexed, ?) WHERE indexed IS NOT NULL", (path,))
            conn.execute("INSERT INTO changes (ids) VALUES (NULL)")
            return self._mutation(conn)

        mutation = self._write(apply)
        self._read_indexes()
        self.matrix.set_indexes(self.indexes)
        return mutation


def _truncate(operand: Any) -> Any:
    """String filter values compare with the indexed first 64 bytes, as the index holds them."""
    if isinstance(operand, str):
        return v.indexed_string(operand)
    if isinstance(operand, list):
        return [_truncate(x) for x in operand]
    return operand


def _nest(flat: Mapping[str, Any]) -> dict[str, Any]:
    """``{"a.b": 1}`` (indexed properties) as the object shape they came from, ``{"a": {"b": 1}}``."""
    out: dict[str, Any] = {}
    for key, value in flat.items():
        node = out
        parts = key.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return out


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
