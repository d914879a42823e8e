"""Streaming a value into a blob while hashing it: constant memory, big chunks hashed and written off the loop."""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

import attrs
from flarebind.plugin import BlobStore

from flarebind_r2.bodies import THREAD_THRESHOLD, value_chunks
from flarebind_r2.errors import ENTITY_TOO_LARGE, R2Error
from flarebind_r2.validation import MAX_VALUE_SIZE


@attrs.define
class Written:
    blob_id: str
    size: int
    digests: dict[str, bytes]  # hashlib name -> digest


async def write_value(blobs: BlobStore, value: Any, algorithms: tuple[str, ...], action: str) -> Written:
    """Store ``value`` as a new blob, computing ``algorithms`` (hashlib names) on the way."""
    chunks = value_chunks(value, action, "R2MultipartUpload" if action == "uploadPart" else "R2Bucket")
    hashers = {name: hashlib.new(name) for name in algorithms}
    writer = blobs.writer()
    size = 0

    def consume(chunk: bytes | memoryview) -> None:
        for h in hashers.values():
            h.update(chunk)
        writer.write(chunk)

    try:
        async for chunk in chunks:
            size += len(chunk)
            if size > MAX_VALUE_SIZE:
                raise R2Error(action, ENTITY_TOO_LARGE)
            if len(chunk) >= THREAD_THRESHOLD:
                # hashlib and file writes release the GIL, so the loop keeps running while a 1 MiB chunk is handled
                await asyncio.to_thread(consume, chunk)
            else:
                consume(chunk)
        blob_id = await asyncio.to_thread(writer.commit) if size >= THREAD_THRESHOLD else writer.commit()
    except BaseException:
        writer.abort()
        raise
    finally:
        aclose = getattr(chunks, "aclose", None)
        if aclose is not None:
            await aclose()
    return Written(blob_id, size, {name: h.digest() for name, h in hashers.items()})
