"""R2 through the flarebind proxy worker: the same objects as the local simulation (:mod:`flarebind_r2.binding`).

Bodies stream both ways: a put value goes as the call's streamed body, an object's body comes back as a stream that
is read on demand. Results become the local classes' remote twins (``R2Object`` subclasses), so ``isinstance``,
``writeHttpMetadata`` and ``checksums.toJSON()`` behave the same.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable, Mapping
from typing import Any

from flarebind.plugin import (
    JsObject,
    RemoteBinding,
    RemoteStream,
    StreamArg,
    WireHeaders,
    body_arg,
    known_length,
    spool,
)

from flarebind_r2.bodies import ReadOnceBody
from flarebind_r2.conditional import CONDITIONAL_FIELDS
from flarebind_r2.headers import is_headers
from flarebind_r2.objects import HTTP_FIELDS, R2Checksums, R2Object, R2ObjectBody, Subscriptable
from flarebind_r2.ranges import RANGE_FIELDS

_BODY_USED = "Body has already been used. It can only be used once. Use tee() first if you need to read it twice."
_OPTION_FIELDS = {"onlyIf": CONDITIONAL_FIELDS, "range": RANGE_FIELDS, "httpMetadata": frozenset(HTTP_FIELDS)}


class RemoteR2Body(ReadOnceBody):
    """``object.body`` of a remote object: an async iterator of bytes, read once (like the local ``R2Body``)."""

    def __init__(self, stream: RemoteStream | None, length: int) -> None:
        self._stream = stream
        self.length = length
        self.used = False
        self._iter: AsyncIterator[bytes] | None = None

    async def _chunks(self) -> AsyncIterator[bytes]:
        if self._stream is not None:
            async for chunk in self._stream:
                yield chunk

    def close(self) -> None:
        self.used = True
        stream, self._stream = self._stream, None
        if stream is not None and not stream.fully_buffered:
            import asyncio

            try:
                asyncio.get_running_loop().create_task(stream.aclose())
            except RuntimeError:
                pass

    async def aclose(self) -> None:
        self.used = True
        stream, self._stream = self._stream, None
        if stream is not None:
            await stream.aclose()


def _http_metadata(value: Any) -> JsObject | None:
    if value is None:
        return None
    return JsObject({k: value[k] for k in HTTP_FIELDS if value.get(k) is not None})


def _init_object(obj: R2Object, data: Mapping[str, Any]) -> None:
    obj.key = data["key"]
    obj.version = data["version"]
    obj.size = data["size"]
    obj.etag = data["etag"]
    obj.httpEtag = data["httpEtag"]
    obj.uploaded = data["uploaded"]
    obj.httpMetadata = _http_metadata(data.get("httpMetadata"))
    custom = data.get("customMetadata")
    obj.customMetadata = None if custom is None else JsObject(custom)
    rng = data.get("range")
    obj.range = None if rng is None else JsObject(rng)
    sums = data.get("checksums") or {}
    obj.checksums = R2Checksums({k: v.hex() for k, v in sums.items() if isinstance(v, (bytes, bytearray))})
    obj.storageClass = data.get("storageClass") or "Standard"
    obj.ssecKeyMd5 = data.get("ssecKeyMd5")


class RemoteR2Object(R2Object):
    """An ``R2Object`` read through the proxy."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        _init_object(self, data)


class RemoteR2ObjectBody(R2ObjectBody):
    """An ``R2ObjectBody`` read through the proxy; ``body`` streams from it."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        _init_object(self, data)
        stream = data.get("body")
        length = (data.get("range") or {}).get("length", data.get("size") or 0)
        # same interface as the local R2Body (async iteration, used, read_all, close)
        self.body = RemoteR2Body(stream if isinstance(stream, RemoteStream) else None, length)  # type: ignore[assignment]

    async def arrayBuffer(self) -> bytes:
        if self.body.used:
            raise TypeError(_BODY_USED)
        return await self.body.read_all()

    async def json(self) -> Any:
        return json.loads(await self.text())


def _object(data: Any) -> Any:
    if data is None:
        return None
    if "body" in data:
        return RemoteR2ObjectBody(data)
    return RemoteR2Object(data)


def _options(options: Any, kw: dict[str, Any]) -> dict[str, Any] | None:
    if options is not None and not isinstance(options, Mapping):
        raise TypeError("R2 options must be an object (a dict) or keyword arguments")
    opts = {**(options or {}), **{k: v for k, v in kw.items() if v is not None}}
    for name, fields in _OPTION_FIELDS.items():
        value = opts.get(name)
        if value is not None and not isinstance(value, WireHeaders) and is_headers(value, fields):
            # the runtime accepts a Headers object here: build a real one on the proxy
            pairs: Iterable[Any] = value.items() if hasattr(value, "items") else value
            opts[name] = WireHeaders([(str(k), str(v)) for k, v in pairs])
    return opts or None


async def _value(value: Any) -> Any:
    """A put/uploadPart value on the wire; streams of unknown length are spooled (R2 needs a known length)."""
    body = getattr(value, "body", None)
    if isinstance(value, (R2ObjectBody,)) or isinstance(body, RemoteR2Body):
        source = value.body
        return StreamArg(source, getattr(source, "length", None))
    if isinstance(value, (list, tuple)) and all(isinstance(c, (bytes, bytearray, memoryview, str)) for c in value):
        # a sync iterable of chunks, as the local simulation accepts it
        value = b"".join(c.encode() if isinstance(c, str) else bytes(c) for c in value)
    arg = body_arg(value)
    if isinstance(arg, StreamArg) and arg.length is None:
        return await spool(arg.source)
    return arg


class RemoteMultipartUpload(Subscriptable):
    """``R2MultipartUpload`` through the proxy: each method resumes the upload by id on the proxy first."""

    def __init__(self, bucket: RemoteR2Bucket, key: str, upload_id: str) -> None:
        self._bucket = bucket
        self.key = key
        self.uploadId = upload_id

    def _resume(self) -> dict[str, Any]:
        return {"call": "resumeMultipartUpload", "args": [self.key, self.uploadId]}

    async def uploadPart(self, partNumber: int, value: Any, options: Any = None, **kw: Any) -> JsObject:
        args: list[Any] = [partNumber, await _value(value)]
        opts = _options(options, kw)
        if opts:
            args.append(opts)
        result = await self._bucket._call([self._resume(), {"call": "uploadPart", "args": args}])
        return JsObject(result)

    async def complete(self, uploadedParts: Iterable[Any]) -> R2Object:
        parts = []
        for part in uploadedParts:
            number = part["partNumber"] if isinstance(part, Mapping) else part.partNumber
            etag = part["etag"] if isinstance(part, Mapping) else part.etag
            parts.append({"partNumber": number, "etag": etag})
        return RemoteR2Object(await self._bucket._call([self._resume(), {"call": "complete", "args": [parts]}]))

    async def abort(self) -> None:
        await self._bucket._call([self._resume(), {"call": "abort"}])

    def __repr__(self) -> str:
        return f"<R2MultipartUpload key={self.key!r} (remote)>"


class RemoteR2Bucket(RemoteBinding):
    """``env.MY_BUCKET`` when the bucket is remote."""

    async def head(self, key: str) -> R2Object | None:
        return _object(await self._call([{"call": "head", "args": [key]}]))

    async def get(self, key: str, options: Any = None, **kw: Any) -> R2ObjectBody | R2Object | None:
        opts = _options(options, kw)
        return _object(await self._call([{"call": "get", "args": [key, opts] if opts else [key]}]))

    async def put(self, key: str, value: Any, options: Any = None, **kw: Any) -> R2Object | None:
        opts = _options(options, kw)
        args = [key, await _value(value)]
        if opts:
            args.append(opts)
        return _object(await self._call([{"call": "put", "args": args}]))

    async def delete(self, keys: str | list[str]) -> None:
        await self._call([{"call": "delete", "args": [keys if isinstance(keys, str) else list(keys)]}])

    async def list(self, options: Any = None, **kw: Any) -> JsObject:
        opts = _options(options, kw)
        result = await self._call([{"call": "list", "args": [opts] if opts else []}])
        out = JsObject(result)
        out["objects"] = [RemoteR2Object(o) for o in result.get("objects", [])]
        return out

    async def createMultipartUpload(self, key: str, options: Any = None, **kw: Any) -> RemoteMultipartUpload:
        opts = _options(options, kw)
        result = await self._call([{"call": "createMultipartUpload", "args": [key, opts] if opts else [key]}])
        return RemoteMultipartUpload(self, result["key"], result["uploadId"])

    def resumeMultipartUpload(self, key: str, uploadId: str) -> RemoteMultipartUpload:
        # synchronous and unchecked, as in the runtime: a bad id surfaces on the next call
        return RemoteMultipartUpload(self, key, uploadId)


def make_remote(name: str, spec: dict[str, Any], channel: Any) -> RemoteR2Bucket:
    return RemoteR2Bucket(name, spec, channel)


__all__ = ["RemoteMultipartUpload", "RemoteR2Bucket", "RemoteR2Object", "RemoteR2ObjectBody", "known_length"]
