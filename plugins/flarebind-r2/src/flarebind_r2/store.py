"""One bucket's rows in Miniflare's v3 SQLite layout (shared with ``wrangler r2 object … --local``).

Tables and JSON column formats are wrangler's (see docs/bindings/r2.md): ``_mf_objects`` holds one row per object
(``blob_id`` NULL for a multipart object, whose bytes are the ``_mf_multipart_parts`` rows linked by ``object_key``),
``_mf_multipart_uploads`` the uploads. flarebind adds one nullable ``storage_class`` column to the objects and
uploads tables; Miniflare names its columns in every statement, so it neither sees nor minds it (a row it rewrites
gets NULL, which reads as ``Standard``).

Every change is one SQLite transaction; blobs are written before the transaction and deleted after it commits, so a
crash at any point leaves the previous object (or none) visible and at worst an unreferenced blob file.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import attrs
from flarebind.plugin import BlobStore, connect

from flarebind_r2.conditional import Conditional, passes
from flarebind_r2.errors import (
    BAD_UPLOAD,
    ENTITY_TOO_SMALL,
    INTERNAL_ERROR,
    INVALID_PART,
    NO_SUCH_UPLOAD,
    PreconditionFailed,
    R2Error,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS _mf_objects (
    key TEXT PRIMARY KEY,
    blob_id TEXT,
    version TEXT NOT NULL,
    size INTEGER NOT NULL,
    etag TEXT NOT NULL,
    uploaded INTEGER NOT NULL,
    checksums TEXT NOT NULL,
    http_metadata TEXT NOT NULL,
    custom_metadata TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS _mf_multipart_uploads (
    upload_id TEXT PRIMARY KEY,
    key TEXT NOT NULL,
    http_metadata TEXT NOT NULL,
    custom_metadata TEXT NOT NULL,
    state TINYINT DEFAULT 0 NOT NULL
);
CREATE TABLE IF NOT EXISTS _mf_multipart_parts (
    upload_id TEXT NOT NULL REFERENCES _mf_multipart_uploads(upload_id),
    part_number INTEGER NOT NULL,
    blob_id TEXT NOT NULL,
    size INTEGER NOT NULL,
    etag TEXT NOT NULL,
    checksum_md5 TEXT NOT NULL,
    object_key TEXT REFERENCES _mf_objects(key) DEFERRABLE INITIALLY DEFERRED,
    PRIMARY KEY (upload_id, part_number)
);
"""

IN_PROGRESS, COMPLETED, ABORTED = 0, 1, 2
_OBJECT_COLUMNS = (
    "key, blob_id, version, size, etag, uploaded, checksums, http_metadata, custom_metadata, storage_class"
)


@attrs.define
class ObjectRow:
    key: str
    blob_id: str | None
    version: str
    size: int
    etag: str
    uploaded: int  # ms since the epoch
    checksums: dict[str, str]
    http_metadata: dict[str, Any] | None
    custom_metadata: dict[str, str] | None
    storage_class: str | None = None
    parts: list[tuple[str, int]] | None = None  # (blob_id, size) in order, for multipart objects

    @classmethod
    def from_sql(cls, row: Sequence[Any]) -> ObjectRow:
        return cls(
            key=row[0],
            blob_id=row[1],
            version=row[2],
            size=row[3],
            etag=row[4],
            uploaded=row[5],
            checksums=json.loads(row[6]),
            http_metadata=json.loads(row[7]),
            custom_metadata=json.loads(row[8]),
            storage_class=row[9],
        )


@attrs.define
class PartRow:
    part_number: int
    blob_id: str
    size: int
    etag: str
    checksum_md5: str


def new_version() -> str:
    return secrets.token_hex(16)


def new_upload_id() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(128)).rstrip(b"=").decode()


def multipart_etag(md5_hexes: Iterable[str]) -> str:
    """``md5(concat(part md5 digests))-<number of parts>``, as R2 computes it."""
    digests = [bytes.fromhex(h) for h in md5_hexes]
    return f"{hashlib.md5(b''.join(digests)).hexdigest()}-{len(digests)}"


class BucketStore:
    def __init__(self, db_path: Path | None, blobs: BlobStore) -> None:
        self.blobs = blobs
        self._lock = threading.RLock()
        self.conn = connect(db_path)
        with self._lock:
            self.conn.executescript(SCHEMA)
            for table in ("_mf_objects", "_mf_multipart_uploads"):
                columns = {r[1] for r in self.conn.execute(f"PRAGMA table_info({table})")}
                if "storage_class" not in columns:
                    try:
                        self.conn.execute(f"ALTER TABLE {table} ADD COLUMN storage_class TEXT")
                    except sqlite3.OperationalError as exc:  # another process added it first
                        if "duplicate column" not in str(exc):
                            raise

    def close(self) -> None:
        self.conn.close()

    # -- transactions -------------------------------------------------------------------------------------------

    def _txn(self) -> _Txn:
        return _Txn(self.conn, self._lock)

    # -- objects ------------------------------------------------------------------------------------------------

    def head(self, key: str) -> ObjectRow | None:
        with self._lock:
            row = self.conn.execute(f"SELECT {_OBJECT_COLUMNS} FROM _mf_objects WHERE key = ?", (key,)).fetchone()
        return None if row is None else ObjectRow.from_sql(row)

    def get(self, key: str) -> ObjectRow | None:
        """The row and, for a multipart object, its parts, read consistently in one transaction."""
        with self._lock:
            self.conn.execute("BEGIN")
            try:
                row = self.conn.execute(f"SELECT {_OBJECT_COLUMNS} FROM _mf_objects WHERE key = ?", (key,)).fetchone()
                if row is None:
                    return None
                obj = ObjectRow.from_sql(row)
                if obj.blob_id is None:
                    obj.parts = list(
                        self.conn.execute(
                            "SELECT blob_id, size FROM _mf_multipart_parts WHERE object_key = ? ORDER BY part_number",
                            (key,),
                        )
                    )
                    # hold the part blobs so a concurrent overwrite defers their deletion until this read is done
                    for blob_id, _ in obj.parts:
                        self.blobs.acquire(blob_id)
                return obj
            finally:
                self.conn.execute("COMMIT")

    def _old_blobs(self, key: str, previous_blob_id: str | None) -> list[str]:
        if previous_blob_id is not None:
            return [previous_blob_id]
        return [
            r[0]
            for r in self.conn.execute("DELETE FROM _mf_multipart_parts WHERE object_key = ? RETURNING blob_id", (key,))
        ]

    def put(self, row: ObjectRow, only_if: Conditional | None) -> None:
        """Insert or replace ``row`` (whose blob is already written); raises PreconditionFailed."""
        with self._txn():
            previous = self.conn.execute(
                "SELECT blob_id, etag, uploaded FROM _mf_objects WHERE key = ?", (row.key,)
            ).fetchone()
            if only_if is not None and not passes(only_if, *(previous[1:] if previous else (None, None))):
                raise PreconditionFailed("put")
            self._insert(row)
            old = self._old_blobs(row.key, previous[0]) if previous is not None else []
        for blob_id in old:
            self.blobs.delete(blob_id)

    def _insert(self, row: ObjectRow) -> None:
        self.conn.execute(
            f"INSERT OR REPLACE INTO _mf_objects ({_OBJECT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                row.key,
                row.blob_id,
                row.version,
                row.size,
                row.etag,
                row.uploaded,
                json.dumps(row.checksums, separators=(",", ":")),
                json.dumps(row.http_metadata or {}, separators=(",", ":")),
                json.dumps(row.custom_metadata or {}, separators=(",", ":")),
                row.storage_class,
            ),
        )

    def delete(self, keys: Sequence[str]) -> None:
        old: list[str] = []
        with self._txn():
            for key in keys:
                found = self.conn.execute("DELETE FROM _mf_objects WHERE key = ? RETURNING blob_id", (key,)).fetchone()
                if found is not None:
                    old.extend(self._old_blobs(key, found[0]))
        for blob_id in old:
            self.blobs.delete(blob_id)

    def list(
        self, *, prefix: str, start_after: str | None, limit: int, delimiter: str | None
    ) -> tuple[list[ObjectRow], list[str], str | None]:
        """Up to ``limit`` objects and delimited prefixes after ``start_after``; the last key returned when more
        remain (the next page starts after it; for a prefix group that is its last key, so it is never repeated)."""
        params: dict[str, Any] = {"prefix": prefix, "after": start_after, "limit": limit + 1}
        where = "substr(key, 1, length(:prefix)) = :prefix AND (:after IS NULL OR key > :after)"
        with self._lock:
            if delimiter is None:
                rows = self.conn.execute(
                    f"SELECT {_OBJECT_COLUMNS}, key FROM _mf_objects WHERE {where} ORDER BY key LIMIT :limit", params
                ).fetchall()
            else:
                params["delimiter"] = delimiter
                # a key with the delimiter after the prefix collapses into its prefix group (kept with a 'p:' tag),
                # every other key is its own group; max(key) is the group's last key
                group = (
                    "CASE WHEN instr(substr(key, length(:prefix) + 1), :delimiter) > 0 THEN 'p:' || "
                    "substr(key, 1, length(:prefix) + instr(substr(key, length(:prefix) + 1), :delimiter) "
                    "+ length(:delimiter) - 1) ELSE 'k:' || key END"
                )
                rows = self.conn.execute(
                    f"SELECT max(key), blob_id, version, size, etag, uploaded, checksums, http_metadata, "
                    f"custom_metadata, storage_class, {group} AS grp FROM _mf_objects WHERE {where} "
                    f"GROUP BY grp ORDER BY max(key) LIMIT :limit",
                    params,
                ).fetchall()
        more = len(rows) > limit
        rows = rows[:limit]
        objects: list[ObjectRow] = []
        prefixes: list[str] = []
        for r in rows:
            tag = r[10]
            if delimiter is not None and tag.startswith("p:"):
                prefixes.append(tag[2:])
            else:
                objects.append(ObjectRow.from_sql(r[:10]))
        last = rows[-1][0] if more and rows else None
        return objects, prefixes, last

    # -- multipart ----------------------------------------------------------------------------------------------

    def create_upload(
        self, key: str, http_metadata: dict[str, Any], custom_metadata: dict[str, str], storage_class: str | None
    ) -> str:
        upload_id = new_upload_id()
        with self._txn():
            self.conn.execute(
                "INSERT INTO _mf_multipart_uploads (upload_id, key, http_metadata, custom_metadata, storage_class) "
                "VALUES (?, ?, ?, ?, ?)",
                (
                    upload_id,
                    key,
                    json.dumps(http_metadata, separators=(",", ":")),
                    json.dumps(custom_metadata, separators=(",", ":")),
                    storage_class,
                ),
            )
        return upload_id

    def _upload_state(self, key: str, upload_id: str) -> tuple[Any, ...] | None:
        return self.conn.execute(
            "SELECT state, http_metadata, custom_metadata, storage_class FROM _mf_multipart_uploads "
            "WHERE upload_id = ? AND key = ?",
            (upload_id, key),
        ).fetchone()

    def upload_exists(self, key: str, upload_id: str) -> bool:
        with self._lock:
            state = self._upload_state(key, upload_id)
        return state is not None and state[0] == IN_PROGRESS

    def put_part(self, key: str, upload_id: str, part: PartRow) -> None:
        """Record an uploaded part (its blob already written); replaces a part with the same number."""
        old: list[str] = []
        with self._txn():
            state = self._upload_state(key, upload_id)
            if state is None or state[0] != IN_PROGRESS:
                raise R2Error("uploadPart", NO_SUCH_UPLOAD)
            previous = self.conn.execute(
                "SELECT blob_id FROM _mf_multipart_parts WHERE upload_id = ? AND part_number = ?",
                (upload_id, part.part_number),
            ).fetchone()
            if previous is not None:
                old.append(previous[0])
            self.conn.execute(
                "INSERT OR REPLACE INTO _mf_multipart_parts (upload_id, part_number, blob_id, size, etag, "
                "checksum_md5) VALUES (?, ?, ?, ?, ?, ?)",
                (upload_id, part.part_number, part.blob_id, part.size, part.etag, part.checksum_md5),
            )
        for blob_id in old:
            self.blobs.delete(blob_id)

    def complete_upload(
        self, key: str, upload_id: str, selected: Sequence[tuple[int, str]], min_part_size: int, now_ms: int
    ) -> ObjectRow:
        action = "completeMultipartUpload"
        old: list[str] = []
        with self._txn():
            state = self._upload_state(key, upload_id)
            if state is None or state[0] != IN_PROGRESS:
                raise R2Error(action, NO_SUCH_UPLOAD)
            numbers = [n for n, _ in selected]
            if len(set(numbers)) != len(numbers):
                raise R2Error(action, INTERNAL_ERROR)
            uploaded = {
                r[0]: PartRow(*r)
                for r in self.conn.execute(
                    "SELECT part_number, blob_id, size, etag, checksum_md5 FROM _mf_multipart_parts "
                    "WHERE upload_id = ?",
                    (upload_id,),
                )
            }
            parts: list[PartRow] = []
            for number, etag in selected:
                found = uploaded.get(number)
                if found is None or found.etag != etag:
                    raise R2Error(action, INVALID_PART)
                parts.append(found)
            # R2 checks sizes twice: first every part but the last in the order given, then in part-number order
            # that all but the last are the same size and the last is not larger
            if any(p.size < min_part_size for p in parts[:-1]):
                raise R2Error(action, ENTITY_TOO_SMALL)
            parts.sort(key=lambda p: p.part_number)
            part_size: int | None = None
            for p in parts[:-1]:
                part_size = p.size if part_size is None else part_size
                if p.size < min_part_size or p.size != part_size:
                    raise R2Error(action, BAD_UPLOAD)
            if part_size is not None and parts[-1].size > part_size:
                raise R2Error(action, BAD_UPLOAD)
            previous = self.conn.execute("SELECT blob_id FROM _mf_objects WHERE key = ?", (key,)).fetchone()
            if previous is not None:
                old.extend(self._old_blobs(key, previous[0]))
            row = ObjectRow(
                key=key,
                blob_id=None,
                version=new_version(),
                size=sum(p.size for p in parts),
                etag=multipart_etag(p.checksum_md5 for p in parts),
                uploaded=now_ms,
                checksums={},
                http_metadata=json.loads(state[1]),
                custom_metadata=json.loads(state[2]),
                storage_class=state[3],
            )
            self._insert(row)
            self.conn.executemany(
                "UPDATE _mf_multipart_parts SET object_key = ? WHERE upload_id = ? AND part_number = ?",
                [(key, upload_id, p.part_number) for p in parts],
            )
            old.extend(
                r[0]
                for r in self.conn.execute(
                    "DELETE FROM _mf_multipart_parts WHERE upload_id = ? AND object_key IS NULL RETURNING blob_id",
                    (upload_id,),
                )
            )
            self.conn.execute("UPDATE _mf_multipart_uploads SET state = ? WHERE upload_id = ?", (COMPLETED, upload_id))
        for blob_id in old:
            self.blobs.delete(blob_id)
        return row

    def abort_upload(self, key: str, upload_id: str) -> None:
        old: list[str] = []
        with self._txn():
            state = self._upload_state(key, upload_id)
            if state is None:
                raise R2Error("abortMultipartUpload", NO_SUCH_UPLOAD)
            if state[0] != IN_PROGRESS:
                return
            old = [
                r[0]
                for r in self.conn.execute(
                    "DELETE FROM _mf_multipart_parts WHERE upload_id = ? RETURNING blob_id", (upload_id,)
                )
            ]
            self.conn.execute("UPDATE _mf_multipart_uploads SET state = ? WHERE upload_id = ?", (ABORTED, upload_id))
        for blob_id in old:
            self.blobs.delete(blob_id)


class _Txn:
    """``BEGIN IMMEDIATE`` … ``COMMIT`` (rollback on error) under the store's thread lock: a writer takes SQLite's
    write lock up front, so concurrent processes queue on the busy timeout instead of failing mid-transaction."""

    def __init__(self, conn: sqlite3.Connection, lock: threading.RLock) -> None:
        self.conn = conn
        self.lock = lock

    def __enter__(self) -> None:
        self.lock.acquire()
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except BaseException:
            self.lock.release()
            raise

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        try:
            self.conn.execute("COMMIT" if exc_type is None else "ROLLBACK")
        finally:
            self.lock.release()
