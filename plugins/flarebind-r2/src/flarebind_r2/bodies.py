"""Object bodies in and out, streamed in bounded chunks so a 1 GiB object never sits in memory.

In: ``put``/``uploadPart`` values (str, bytes-likes, async or sync iterables of bytes, binary file objects, another
object's body) become an async iterator of chunks. Out: ``R2Body`` reads a byte range of one blob or of a multipart
object's part blobs. Reads and writes of large chunks run in a worker thread so the event loop keeps serving.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Mapping
from typing import Any, BinaryIO

from flarebind.plugin import BlobStore

CHUNK = 1 << 20
# below this, a blocking read or write costs less than handing it to a thread
THREAD_THRESHOLD = 256 * 1024


def _bytes_like(chunk: Any) -> bytes | memoryview:
    if isinstance(chunk, (bytes, memoryview)):
        return chunk
    if isinstance(chunk, bytearray):
        return memoryview(chunk)
    if isinstance(chunk, str):
        return chunk.encode()
    raise TypeError(f"stream chunks must be bytes-like, not {type(chunk).__name__}")


async def _slices(data: bytes | memoryview) -> AsyncIterator[bytes | memoryview]:
    view = memoryview(data).cast("B") if not isinstance(data, bytes) else data
    if len(view) <= CHUNK:
        yield view
        return
    mv = memoryview(view)
    for start in range(0, len(mv), CHUNK):
        yield mv[start : start + CHUNK]


async def _from_async(source: AsyncIterable[Any]) -> AsyncIterator[bytes | memoryview]:
    async for chunk in source:
        yield _bytes_like(chunk)


async def _from_sync(source: Iterable[Any]) -> AsyncIterator[bytes | memoryview]:
    for chunk in source:
        yield _bytes_like(chunk)


async def _from_file(file: BinaryIO) -> AsyncIterator[bytes | memoryview]:
    while True:
        chunk = await asyncio.to_thread(file.read, CHUNK)
        if not chunk:
            return
        yield _bytes_like(chunk)


def not_a_body(method: str, interface: str) -> TypeError:
    """workerd's text for a put/uploadPart value that is none of the body types."""
    return TypeError(
        f"Failed to execute '{method}' on '{interface}': parameter 2 is not of type 'ReadableStream or ArrayBuffer "
        "or ArrayBufferView or string or Blob'."
    )


def value_chunks(value: Any, method: str = "put", interface: str = "R2Bucket") -> AsyncIterator[bytes | memoryview]:
    """The chunks of a put value; raises TypeError for a value R2 cannot store."""
    if isinstance(value, (Mapping, bool, int, float, set, frozenset)):
        # a dict is iterable in Python (its keys would be stored concatenated); workerd refuses an object outright
        raise not_a_body(method, interface)
    if value is None:
        return _slices(b"")
    if isinstance(value, str):
        return _slices(value.encode())
    if isinstance(value, (bytes, bytearray, memoryview)):
        return _slices(value if isinstance(value, bytes) else memoryview(value))
    if isinstance(value, R2Body):
        return _from_async(value)
    body = getattr(value, "body", None)
    if isinstance(body, AsyncIterable):
        # another object's body (R2ObjectBody, a remote object, a Request/Response): stream it across
        return _from_async(body)
    if hasattr(value, "read") and callable(value.read):
        return _from_file(value)
    if isinstance(value, AsyncIterable):
        return _from_async(value)
    if isinstance(value, Iterable):
        return _from_sync(value)
    raise not_a_body(method, interface)


class Segment:
    """Bytes ``[start, start + length)`` of one blob; ``data`` when already read (small objects)."""

    __slots__ = ("blob_id", "data", "file", "length", "start")

    def __init__(
        self, blob_id: str | None, start: int, length: int, file: BinaryIO | None = None, data: bytes | None = None
    ) -> None:
        self.blob_id = blob_id
        self.start = start
        self.length = length
        self.file = file
        self.data = data


def _read_exact(file: BinaryIO, n: int) -> bytes:
    data = file.read(n)
    if len(data) != n:
        raise OSError(f"blob ended early: expected {n} more bytes, got {len(data)}")
    return data


class ReadOnceBody:
    """An async iterator of ``bytes`` chunks, read once (``used`` from the first ``__aiter__``): the local and the
    remote ``object.body`` both supply ``_chunks()``."""

    used: bool
    _iter: AsyncIterator[bytes] | None

    def _chunks(self) -> AsyncIterator[bytes]:
        raise NotImplementedError

    def __aiter__(self) -> AsyncIterator[bytes]:
        if self._iter is None:
            self.used = True
            self._iter = self._chunks()
        return self._iter

    async def __anext__(self) -> bytes:
        return await self.__aiter__().__anext__()

    async def read_all(self) -> bytes:
        return b"".join([chunk async for chunk in self])


class R2Body(ReadOnceBody):
    """``object.body``: an async iterator of ``bytes`` chunks (the ReadableStream of the runtime), read once.

    ``held`` blobs (multipart parts) are released as their segment finishes or when the body is closed, so a
    concurrent overwrite can delete them only after this read no longer needs them.
    """

    def __init__(self, blobs: BlobStore, segments: list[Segment], held: list[str] | None = None) -> None:
        self._blobs = blobs
        self._segments = segments
        self._held = list(held or ())
        self.used = False
        self._iter: AsyncIterator[bytes] | None = None

    @property
    def length(self) -> int:
        return sum(s.length for s in self._segments)

    async def _chunks(self) -> AsyncIterator[bytes]:
        try:
            for segment in self._segments:
                if segment.data is not None:
                    if segment.data:
                        yield segment.data
                    continue
                file = segment.file
                if file is None:
                    assert segment.blob_id is not None
                    file = await asyncio.to_thread(self._blobs.open, segment.blob_id)
                try:
                    if segment.start:
                        file.seek(segment.start)
                    remaining = segment.length
                    while remaining > 0:
                        n = min(CHUNK, remaining)
                        chunk = (
                            await asyncio.to_thread(_read_exact, file, n)
                            if n >= THREAD_THRESHOLD
                            else _read_exact(file, n)
                        )
                        remaining -= n
                        yield chunk
                finally:
                    file.close()
                self._release(segment.blob_id)
        finally:
            self.close()

    def _release(self, blob_id: str | None) -> None:
        if blob_id is not None and blob_id in self._held:
            self._held.remove(blob_id)
            self._blobs.release(blob_id)

    def close(self) -> None:
        """Give back files and held blobs without reading the rest (also done when the iterator is closed)."""
        self.used = True
        for segment in self._segments:
            if segment.file is not None:
                segment.file.close()
        for blob_id in self._held:
            self._blobs.release(blob_id)
        self._held = []

    def __del__(self) -> None:
        # a body nobody read must not keep part blobs alive forever
        if self._held:
            for blob_id in self._held:
                self._blobs.release(blob_id)
            self._held = []
