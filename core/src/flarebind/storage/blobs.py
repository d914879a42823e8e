"""Blob files for values and bodies: written under a temporary name, fsynced, then renamed into place."""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import AsyncIterable, Iterable, Iterator
from pathlib import Path
from typing import BinaryIO, Protocol

CHUNK = 1 << 20


def new_blob_id(now_ms: int | None = None) -> str:
    """Miniflare's blob id: 32 random bytes as hex + the write time in ms as 8-byte big-endian hex."""
    if now_ms is None:
        now_ms = int(time.time() * 1000)
    return secrets.token_hex(32) + now_ms.to_bytes(8, "big").hex()


class BlobStore(Protocol):
    def put(self, data: bytes) -> str: ...
    def put_chunks(self, chunks: Iterable[bytes]) -> tuple[str, int]: ...
    async def put_async(self, chunks: AsyncIterable[bytes]) -> tuple[str, int]: ...
    def get(self, blob_id: str) -> bytes: ...
    def open(self, blob_id: str) -> BinaryIO: ...
    def read_range(self, blob_id: str, offset: int, length: int) -> Iterator[bytes]: ...
    def delete(self, blob_id: str) -> None: ...
    def exists(self, blob_id: str) -> bool: ...


class FileBlobStore:
    """Blobs as files in ``<root>/blobs/<blob_id>``, exactly where wrangler keeps them."""

    def __init__(self, root: Path) -> None:
        self.dir = Path(root) / "blobs"
        self.dir.mkdir(parents=True, exist_ok=True)

    def path(self, blob_id: str) -> Path:
        return self.dir / blob_id

    def _tmp(self, blob_id: str) -> Path:
        return self.dir / f".{blob_id}.tmp"

    def _commit(self, tmp: Path, blob_id: str, fd: int) -> None:
        os.fsync(fd)
        os.replace(tmp, self.path(blob_id))

    def put(self, data: bytes) -> str:
        blob_id = new_blob_id()
        tmp = self._tmp(blob_id)
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            self._commit(tmp, blob_id, f.fileno())
        return blob_id

    def put_chunks(self, chunks: Iterable[bytes]) -> tuple[str, int]:
        blob_id = new_blob_id()
        tmp = self._tmp(blob_id)
        size = 0
        try:
            with open(tmp, "wb") as f:
                for chunk in chunks:
                    f.write(chunk)
                    size += len(chunk)
                f.flush()
                self._commit(tmp, blob_id, f.fileno())
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return blob_id, size

    async def put_async(self, chunks: AsyncIterable[bytes]) -> tuple[str, int]:
        blob_id = new_blob_id()
        tmp = self._tmp(blob_id)
        size = 0
        try:
            with open(tmp, "wb") as f:
                async for chunk in chunks:
                    f.write(chunk)
                    size += len(chunk)
                f.flush()
                self._commit(tmp, blob_id, f.fileno())
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return blob_id, size

    def get(self, blob_id: str) -> bytes:
        return self.path(blob_id).read_bytes()

    def open(self, blob_id: str) -> BinaryIO:
        return open(self.path(blob_id), "rb")

    def read_range(self, blob_id: str, offset: int, length: int) -> Iterator[bytes]:
        with self.open(blob_id) as f:
            f.seek(offset)
            remaining = length
            while remaining > 0:
                chunk = f.read(min(CHUNK, remaining))
                if not chunk:
                    break
                remaining -= len(chunk)
                yield chunk

    def delete(self, blob_id: str) -> None:
        self.path(blob_id).unlink(missing_ok=True)

    def exists(self, blob_id: str) -> bool:
        return self.path(blob_id).exists()


class MemoryBlobStore:
    """The same interface in memory (tests, ``in_memory=True``)."""

    def __init__(self) -> None:
        self.blobs: dict[str, bytes] = {}

    def put(self, data: bytes) -> str:
        blob_id = new_blob_id()
        self.blobs[blob_id] = bytes(data)
        return blob_id

    def put_chunks(self, chunks: Iterable[bytes]) -> tuple[str, int]:
        data = b"".join(chunks)
        return self.put(data), len(data)

    async def put_async(self, chunks: AsyncIterable[bytes]) -> tuple[str, int]:
        parts = [c async for c in chunks]
        data = b"".join(parts)
        return self.put(data), len(data)

    def get(self, blob_id: str) -> bytes:
        try:
            return self.blobs[blob_id]
        except KeyError:
            raise FileNotFoundError(blob_id) from None

    def open(self, blob_id: str) -> BinaryIO:
        import io

        return io.BytesIO(self.get(blob_id))

    def read_range(self, blob_id: str, offset: int, length: int) -> Iterator[bytes]:
        data = self.get(blob_id)[offset : offset + length]
        for i in range(0, len(data), CHUNK):
            yield data[i : i + CHUNK]

    def delete(self, blob_id: str) -> None:
        self.blobs.pop(blob_id, None)

    def exists(self, blob_id: str) -> bool:
        return blob_id in self.blobs
