"""Object bodies as blob files (``r2/<bucket>/blobs/<blob_id>``, where wrangler keeps them) or in memory.

Writes stream into a hidden temporary file that is renamed to its blob id only when complete, so a killed process
never leaves a partial blob under a real id. No fsync: a rename survives a process crash without one, and the SQLite
files run with ``synchronous = NORMAL``, which makes the same promise (only an OS crash may lose the latest writes).

Deleting a blob that an in-progress multipart read still needs is deferred until the read releases it (single-part
reads hold an open file, which POSIX keeps readable after the unlink).
"""

from __future__ import annotations

import io
import os
import threading
from pathlib import Path
from typing import BinaryIO, Protocol

from flarebind.storage import new_blob_id


class BlobWriter(Protocol):
    def write(self, chunk: bytes | memoryview) -> None: ...
    def commit(self) -> str: ...
    def abort(self) -> None: ...


class Blobs:
    """Reference counts for blobs being read, shared by the file and memory stores."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._in_use: dict[str, int] = {}
        self._doomed: set[str] = set()

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
        with self._lock:
            if blob_id in self._in_use:
                self._doomed.add(blob_id)
                return
        self._remove(blob_id)

    def _remove(self, blob_id: str) -> None:
        raise NotImplementedError

    def writer(self) -> BlobWriter:
        raise NotImplementedError

    def open(self, blob_id: str) -> BinaryIO:
        raise NotImplementedError


class _FileWriter:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.blob_id = new_blob_id()
        self.tmp = folder / f".{self.blob_id}.tmp"
        self.file = open(self.tmp, "wb")  # noqa: SIM115 - closed in commit/abort

    def write(self, chunk: bytes | memoryview) -> None:
        self.file.write(chunk)

    def commit(self) -> str:
        self.file.close()
        os.replace(self.tmp, self.folder / self.blob_id)
        return self.blob_id

    def abort(self) -> None:
        self.file.close()
        self.tmp.unlink(missing_ok=True)


class FileBlobs(Blobs):
    def __init__(self, root: Path) -> None:
        super().__init__()
        self.dir = Path(root) / "blobs"
        self.dir.mkdir(parents=True, exist_ok=True)

    def writer(self) -> BlobWriter:
        return _FileWriter(self.dir)

    def open(self, blob_id: str) -> BinaryIO:
        return open(self.dir / blob_id, "rb")

    def _remove(self, blob_id: str) -> None:
        (self.dir / blob_id).unlink(missing_ok=True)


class _MemoryWriter:
    def __init__(self, store: MemoryBlobs) -> None:
        self.store = store
        self.buffer = io.BytesIO()

    def write(self, chunk: bytes | memoryview) -> None:
        self.buffer.write(chunk)

    def commit(self) -> str:
        blob_id = new_blob_id()
        self.store.data[blob_id] = self.buffer.getvalue()
        return blob_id

    def abort(self) -> None:
        self.buffer = io.BytesIO()


class MemoryBlobs(Blobs):
    def __init__(self) -> None:
        super().__init__()
        self.data: dict[str, bytes] = {}

    def writer(self) -> BlobWriter:
        return _MemoryWriter(self)

    def open(self, blob_id: str) -> BinaryIO:
        try:
            return io.BytesIO(self.data[blob_id])
        except KeyError:
            raise FileNotFoundError(blob_id) from None

    def _remove(self, blob_id: str) -> None:
        self.data.pop(blob_id, None)
