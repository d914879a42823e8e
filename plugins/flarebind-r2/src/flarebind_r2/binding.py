"""R2Bucket: the binding object user code calls (``env.BUCKET.put(...)``), over one BucketStore.

Options are keyword arguments with the runtime's names (``httpMetadata=``, ``onlyIf=``) or one positional dict, as
a Python Worker passes them. Checks happen in the runtime's order: the Workers runtime's own argument checks
(TypeError / ValueError) first, then the service's (``R2Error``).
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from flarebind.plugin import JsException, JsObject, decode_list_cursor

from flarebind_r2.bodies import R2Body, Segment
from flarebind_r2.conditional import parse_conditional, passes
from flarebind_r2.errors import PreconditionFailed, bad_digest
from flarebind_r2.multipart import R2MultipartUpload
from flarebind_r2.objects import R2Object, R2ObjectBody, normalize_http_metadata
from flarebind_r2.ranges import parse_range, resolve_range
from flarebind_r2.store import BucketStore, ObjectRow, new_version
from flarebind_r2.validation import (
    HASHES,
    MIN_PART_SIZE,
    check_custom_metadata,
    check_include,
    check_key,
    check_list_limit,
    normalize_custom_metadata,
    parse_hashes,
)
from flarebind_r2.writing import write_value

# objects up to this size are read whole when fetched: one read beats a stream for small values
EAGER_READ = 64 * 1024
# ``include`` is honoured from this compatibility date (or with the flag); before it both kinds always come back
LIST_HONORS_INCLUDE_DATE = "2022-08-04"


def _options(options: Any, kw: dict[str, Any]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    if options is not None:
        if not isinstance(options, Mapping):
            raise TypeError("options must be a dict")
        merged.update(options)
    merged.update(kw)
    return merged


class R2Bucket:
    def __init__(
        self,
        store: BucketStore,
        *,
        bucket_name: str,
        clock: Callable[[], float],
        compatibility_date: str | None = None,
        compatibility_flags: tuple[str, ...] = (),
    ) -> None:
        self._store = store
        self.bucket_name = bucket_name
        self._clock = clock
        self.min_part_size = MIN_PART_SIZE
        self._list_honors_include = (
            "r2_list_honor_include" in compatibility_flags
            or compatibility_date is None
            or compatibility_date >= LIST_HONORS_INCLUDE_DATE
        )

    def _now_ms(self) -> int:
        return int(self._clock() * 1000)

    @staticmethod
    def _reject_ssec(options: Mapping[str, Any]) -> None:
        key = options.get("ssecKey")
        if key is None:
            return
        if isinstance(key, str):
            if not all(c in "0123456789abcdef" for c in key):
                raise JsException("SSE-C Key has invalid format")
            if len(key) != 64:
                raise JsException("SSE-C Key must be 32 bytes in length")
        elif len(bytes(key)) != 32:
            raise JsException("SSE-C Key must be 32 bytes in length")
        raise JsException("flarebind: SSE-C (ssecKey) is not simulated locally; use a remote R2 binding for it")

    # -- reads --------------------------------------------------------------------------------------------------

    async def head(self, key: str) -> R2Object | None:
        key = check_key("head", key)
        row = self._store.head(key)
        return None if row is None else R2Object(row, range={"offset": 0, "length": row.size})

    async def get(self, key: str, options: Any = None, **kw: Any) -> R2ObjectBody | R2Object | None:
        opts = _options(options, kw)
        only_if = parse_conditional(opts.get("onlyIf"))
        range_request = parse_range(opts.get("range"))
        self._reject_ssec(opts)
        key = check_key("get", key)
        row = self._store.get(key)
        if row is None:
            return None
        held = [blob_id for blob_id, _ in row.parts or ()]
        try:
            if only_if is not None and not passes(only_if, row.etag, row.uploaded):
                # the runtime answers a failed precondition with the object's metadata and no body
                self._release(held)
                return R2Object(row, range={"offset": 0, "length": row.size})
            resolved = resolve_range(range_request, row.size)
            start, end = resolved if resolved is not None else (0, row.size - 1)
            length = end - start + 1
            segments = self._segments(row, start, length)
        except BaseException:
            self._release(held)
            raise
        if segments is None:  # the blob vanished under us (deleted by another process): the object is gone
            self._release(held)
            return None
        body = R2Body(self._store.blobs, segments, held)
        return R2ObjectBody(row, body, range={"offset": start, "length": length})

    def _release(self, held: list[str]) -> None:
        for blob_id in held:
            self._store.blobs.release(blob_id)

    def _segments(self, row: ObjectRow, start: int, length: int) -> list[Segment] | None:
        if length <= 0:
            return []
        if row.blob_id is not None:
            try:
                file = self._store.blobs.open(row.blob_id)
            except FileNotFoundError:
                return None
            if length <= EAGER_READ:
                with file:
                    file.seek(start)
                    return [Segment(None, 0, length, data=file.read(length))]
            return [Segment(None, start, length, file=file)]
        segments = []
        offset = 0
        for blob_id, size in row.parts or ():
            lo, hi = max(start, offset), min(start + length, offset + size)
            if lo < hi:
                segments.append(Segment(blob_id, lo - offset, hi - lo))
            offset += size
        return segments

    async def list(self, options: Any = None, **kw: Any) -> JsObject:
        opts = _options(options, kw)
        include = check_include(opts.get("include"))
        limit = check_list_limit(opts.get("limit"))
        if not self._list_honors_include:
            include = ["httpMetadata", "customMetadata"]
        include = include or []
        if include:
            # R2 returns at most 100 objects per page when metadata is included
            limit = min(limit, 100)
        start_after = opts.get("startAfter")
        cursor = opts.get("cursor")
        if cursor:
            cursor_after = decode_list_cursor(str(cursor))  # lenient, as Miniflare (a made-up one: empty page)
            if start_after is None or cursor_after > start_after:
                start_after = cursor_after
        delimiter = opts.get("delimiter") or None
        rows, prefixes, last = self._store.list(
            prefix=opts.get("prefix") or "", start_after=start_after, limit=limit, delimiter=delimiter
        )
        objects = [
            R2Object(
                row,
                http_metadata=row.http_metadata if "httpMetadata" in include else None,
                custom_metadata=row.custom_metadata if "customMetadata" in include else None,
            )
            for row in rows
        ]
        result = JsObject(objects=objects, truncated=last is not None, delimitedPrefixes=prefixes)
        if last is not None:
            result["cursor"] = base64.b64encode(last.encode()).decode()
        return result

    # -- writes -------------------------------------------------------------------------------------------------

    async def put(self, key: str, value: Any, options: Any = None, **kw: Any) -> R2Object | None:
        opts = _options(options, kw)
        only_if = parse_conditional(opts.get("onlyIf"))
        custom = normalize_custom_metadata(opts.get("customMetadata"))
        http = normalize_http_metadata(opts.get("httpMetadata"))
        checksum = parse_hashes(opts)
        storage_class = opts.get("storageClass")
        self._reject_ssec(opts)
        action = "put"
        key = check_key(action, key)
        check_custom_metadata(action, custom)
        if only_if is not None:
            # skip streaming the value when the precondition already fails (the transaction checks again)
            current = self._store.head(key)
            if not passes(only_if, *((current.etag, current.uploaded) if current else (None, None))):
                return None
        algorithms = ("md5",) if checksum is None or checksum[0] == "md5" else ("md5", _hashlib_name(checksum[0]))
        written = await write_value(self._store.blobs, value, algorithms, action)
        checksums: dict[str, str] = {}
        if checksum is not None:
            option, name, provided = checksum
            actual = written.digests[_hashlib_name(option)]
            if provided != actual:
                self._store.blobs.delete(written.blob_id)
                raise bad_digest(action, name, provided, actual)
            checksums[option] = actual.hex()
        row = ObjectRow(
            key=key,
            blob_id=written.blob_id,
            version=new_version(),
            size=written.size,
            etag=written.digests["md5"].hex(),
            uploaded=self._now_ms(),
            checksums=checksums,
            http_metadata=http or {},
            custom_metadata=custom or {},
            storage_class=None if storage_class in (None, "Standard") else str(storage_class),
        )
        try:
            self._store.put(row, only_if)
        except PreconditionFailed:
            self._store.blobs.delete(written.blob_id)
            return None
        except BaseException:
            self._store.blobs.delete(written.blob_id)
            raise
        return R2Object(row)

    async def delete(self, keys: str | Sequence[str]) -> None:
        key_list = [check_key("delete", key) for key in ([keys] if isinstance(keys, str) else list(keys))]
        self._store.delete(key_list)

    async def createMultipartUpload(self, key: str, options: Any = None, **kw: Any) -> R2MultipartUpload:
        opts = _options(options, kw)
        custom = normalize_custom_metadata(opts.get("customMetadata"), "R2MultipartOptions")
        http = normalize_http_metadata(opts.get("httpMetadata"))
        storage_class = opts.get("storageClass")
        self._reject_ssec(opts)
        key = check_key("createMultipartUpload", key)
        upload_id = self._store.create_upload(
            key, http or {}, custom or {}, None if storage_class in (None, "Standard") else str(storage_class)
        )
        return R2MultipartUpload(self, key, upload_id)

    def resumeMultipartUpload(self, key: str, uploadId: str) -> R2MultipartUpload:
        # synchronous and unchecked, as in the runtime: a bad id surfaces on the next call
        return R2MultipartUpload(self, key, uploadId)

    def __repr__(self) -> str:
        return f"<R2Bucket {self.bucket_name!r} (local)>"


def _hashlib_name(option: str) -> str:
    return next(h[3] for h in HASHES if h[0] == option)
