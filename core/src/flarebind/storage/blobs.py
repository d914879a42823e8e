"""Blob files for KV values and R2 bodies, in wrangler's place: ``<root>/blobs/<blob id>`` (or in memory).

One store serves both simulators: whole-value ``put``/``get`` (KV, with an optional in-process cache), streaming
writes through ``writer()`` (R2 hashes while writing), ``open()`` for ranged reads that keep the file open, and
reference counts (``acquire``/``release``) that defer deleting a blob an in-progress read still needs.

Durability: a blob is written straight to its final name (``O_EXCL``: a blob id is random and never reused), and
callers commit the SQLite row that points at it only after the write is complete. A killed process therefore
leaves at most an unreferenced, partly written file that no row names, never a row pointing at a torn value;
blobs a write replaces are unlinked only after the commit. (An earlier version wrote a temporary name and renamed
it; the rename added nothing to this guarantee and doubled the cost of creating a blob: 258 -> 133 µs wall per
100 B blob on ext4, measured with a loaded machine.) Blob files are deliberately *not* fsynced: the guarantee is
against killed processes (the page cache survives them), the same one SQLite gives in WAL mode with
``synchronous = NORMAL`` (only an OS crash or power loss may lose the latest writes). An fsync per blob costs about
0.4 ms, an order of magnitude in KV's write rate.

Blob ids are never reused and blob files never change once their row is committed, so bytes can be cached in
process by blob id without invalidation (readers still go to SQLite for the row, which is coherent across processes).
"""

from __future__ import annotations

import io
import os
import secrets
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, Protocol

# chunk size of ``open_chunks`` (KV's ``type: "stream"`` reads)
STREAM_CHUNK = 64 << 10
_READ_ALL_CHUNK = 1 << 20


def new_blob_id(now_ms: int | None = None) -> str:
    """Miniflare's blob id: 32 random bytes as hex + the write time in ms as 8-byte big-endian hex."""
    if now_ms is None:
        now_ms = int(time.time() * 1000)
    return secrets.token_hex(32) + now_ms.to_bytes(8, "big").hex()


class BlobMissing(FileNotFoundError):
    """No blob by that id: another process replaced or deleted the value between a row read and the blob read."""


class BlobWriter(Protocol):
    def write(self, chunk: bytes | memoryview) -> None: ...
    def commit(self) -> str: ...
    def abort(self) -> None: ...


class BlobStore:
    """The interface and the reference counts, shared by the file and memory stores."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._in_use: dict[str, int] = {}
        self._doomed: set[str] = set()

    # -- implemented by the stores ---------------------------------------------------------------------------------

    def put(self, data: bytes | memoryview) -> str:
        """Store ``data`` as a new blob; returns its id."""
        raise NotImplementedError

    def writer(self) -> BlobWriter:
        """A new blob written in chunks: ``write(...)``, then ``commit() -> blob id`` or ``abort()``."""
        raise NotImplementedError

    def get(self, blob_id: str) -> bytes:
        """The whole value; raises :class:`BlobMissing`."""
        raise NotImplementedError

    def open(self, blob_id: str) -> BinaryIO:
        """A readable, seekable file of the value (stays readable after a delete); raises :class:`BlobMissing`."""
        raise NotImplementedError

    def open_chunks(self, blob_id: str) -> Iterator[bytes]:
        """The value in ``STREAM_CHUNK`` pieces; opened now, so a later replace/delete cannot cut the read short."""
        return _file_chunks(self.open(blob_id))

    def _remove(self, blob_id: str) -> None:
        raise NotImplementedError

    # -- deletion, deferred while a read holds the blob ------------------------------------------------------------

    def acquire(self, blob_id: str) -> None:
        with self._lock:
            self._in_use[blob_id] = self._in_use.get(blob_id, 0) + 1

    def release(self, blob_id: str) -> None:
        with self._lock:
            count = self._in_use.get(blob_id, 0) - 1
            if count > 0:
                self._in_use[blob_id] = count
                return
            self._in_use.pop(blob_id, None)
            doomed = blob_id in self._doomed
            self._doomed.discard(blob_id)
        if doomed:
            self._remove(blob_id)

    def delete(self, blob_id: str) -> None:
        """Remove a blob (a missing one is fine); if a read holds it, when the last holder releases it."""
        with self._lock:
            if blob_id in self._in_use:
                self._doomed.add(blob_id)
                return
        self._remove(blob_id)


class FileBlobStore(BlobStore):
    """Blobs as files in ``<root>/blobs/<blob_id>``, exactly where wrangler keeps them.

    ``cache_max_total > 0`` keeps values up to ``cache_max_value`` bytes in memory by blob id (KV), evicting the
    oldest first once the total passes ``cache_max_total``.
    """

    def __init__(self, root: Path, *, cache_max_value: int = 0, cache_max_total: int = 0) -> None:
        super().__init__()
        self.dir = Path(root) / "blobs"
        self.dir.mkdir(parents=True, exist_ok=True)
        self._dir = str(self.dir)
        self.cache: dict[str, bytes] | None = {} if cache_max_total > 0 else None
        self._cache_max_value = cache_max_value
        self._cache_max_total = cache_max_total
        self._cache_bytes = 0

    def path(self, blob_id: str) -> str:
        return f"{self._dir}/{blob_id}"

    def put(self, data: bytes | memoryview) -> str:
        blob_id = new_blob_id(int(time.time() * 1000))
        path = f"{self._dir}/{blob_id}"
        fd = _create(path)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
        except BaseException:
            os.close(fd)
            os.unlink(path)
            raise
        os.close(fd)
        if self.cache is not None and len(data) <= self._cache_max_value:
            self._remember(blob_id, bytes(data))
        return blob_id

    def writer(self) -> BlobWriter:
        return _FileWriter(self._dir)

    def get(self, blob_id: str) -> bytes:
        cache = self.cache
        if cache is not None:
            data = cache.get(blob_id)
            if data is not None:
                return data
        try:
            fd = os.open(f"{self._dir}/{blob_id}", os.O_RDONLY)
        except FileNotFoundError:
            raise BlobMissing(blob_id) from None
        try:
            parts = []
            while True:
                part = os.read(fd, _READ_ALL_CHUNK)
                if not part:
                    break
                parts.append(part)
        finally:
            os.close(fd)
        data = parts[0] if len(parts) == 1 else b"".join(parts)
        if cache is not None:
            self._remember(blob_id, data)
        return data

    def open(self, blob_id: str) -> BinaryIO:
        try:
            return open(f"{self._dir}/{blob_id}", "rb")
        except FileNotFoundError:
            raise BlobMissing(blob_id) from None

    def _remember(self, blob_id: str, data: bytes) -> None:
        cache = self.cache
        if cache is None or len(data) > self._cache_max_value:
            return
        cache[blob_id] = data
        self._cache_bytes += len(data)
        while self._cache_bytes > self._cache_max_total:
            oldest = next(iter(cache))
            self._cache_bytes -= len(cache.pop(oldest))

    def _remove(self, blob_id: str) -> None:
        if self.cache is not None:
            data = self.cache.pop(blob_id, None)
            if data is not None:
                self._cache_bytes -= len(data)
        try:
            os.unlink(f"{self._dir}/{blob_id}")
        except FileNotFoundError:
            pass


def _create(path: str) -> int:
    # O_EXCL: a blob id is never written twice; 0o666 (less the umask) is what open(..., "wb") and Node give
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)


class _FileWriter:
    def __init__(self, folder: str) -> None:
        self.blob_id = new_blob_id()
        self.path = f"{folder}/{self.blob_id}"
        self.file = os.fdopen(_create(self.path), "wb")

    def write(self, chunk: bytes | memoryview) -> None:
        self.file.write(chunk)

    def commit(self) -> str:
        self.file.close()
        return self.blob_id

    def abort(self) -> None:
        self.file.close()
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass


def _file_chunks(f: BinaryIO) -> Iterator[bytes]:
    with f:
        while True:
            chunk = f.read(STREAM_CHUNK)
            if not chunk:
                return
            yield chunk


class MemoryBlobStore(BlobStore):
    """The same interface in memory (``in_memory`` contexts)."""

    def __init__(self) -> None:
        super().__init__()
        self.data: dict[str, bytes] = {}

    def put(self, data: bytes | memoryview) -> str:
        blob_id = new_blob_id()
        self.data[blob_id] = bytes(data)
        return blob_id

    def writer(self) -> BlobWriter:
        return _MemoryWriter(self)

    def get(self, blob_id: str) -> bytes:
        try:
            return self.data[blob_id]
        except KeyError:
            raise BlobMissing(blob_id) from None

    def open(self, blob_id: str) -> BinaryIO:
        return io.BytesIO(self.get(blob_id))

    def open_chunks(self, blob_id: str) -> Iterator[bytes]:
        data = self.get(blob_id)
        # an empty value is one empty chunk here (as before the stores were merged), none from a file
        return iter([data[i : i + STREAM_CHUNK] for i in range(0, len(data), STREAM_CHUNK)] or [b""])

    def _remove(self, blob_id: str) -> None:
        self.data.pop(blob_id, None)


class _MemoryWriter:
    def __init__(self, store: MemoryBlobStore) -> None:
        self.store = store
        self.buffer = io.BytesIO()

    def write(self, chunk: bytes | memoryview) -> None:
        self.buffer.write(chunk)

    def commit(self) -> str:
        return self.store.put(self.buffer.getvalue())

    def abort(self) -> None:
        self.buffer = io.BytesIO()
