"""The KV namespace binding object: the Workers runtime API (``get``, ``getWithMetadata``, ``put``, ``delete``,
``list``) in Python, over a :class:`~flarebind_kv.store.KVStore`.

Options come as the JS names, positionally (``get(k, "json")``, ``put(k, v, {"expirationTtl": 60})``) or as keywords
(``get(k, type="json")``, ``put(k, v, expirationTtl=60)``); results are ``None`` for JS null and
:class:`~flarebind.jsobject.JsObject` for objects and Maps. Errors are what the runtime raises, see
:mod:`flarebind_kv.validation`.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterable, Callable, Iterator
from typing import Any

from flarebind.plugin import BlobMissing, JsException, JsObject, decode_list_cursor

from flarebind_kv import validation as v
from flarebind_kv.store import LATER, KVStore, put_stream

# values at least this large are written / read on a worker thread so the event loop keeps serving
THREAD_THRESHOLD = 1 << 20
_BLOB_RETRIES = 8


class ValueStream:
    """A value read with ``type="stream"``: an async iterator of ``bytes`` chunks (a ReadableStream's shape)."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self.locked = False

    def __aiter__(self) -> ValueStream:
        self.locked = True
        return self

    async def __anext__(self) -> bytes:
        try:
            return next(self._chunks)
        except StopIteration:
            raise StopAsyncIteration from None

    async def read_all(self) -> bytes:
        """Drain the stream (like ``new Response(stream).arrayBuffer()``)."""
        return b"".join([chunk async for chunk in self])

    async def cancel(self) -> None:
        close = getattr(self._chunks, "close", None)
        if close is not None:
            close()


class KvNamespaceObject:
    """What a binding object is in the Python Workers SDK: truthy, not iterable, no ``len`` (its exact texts)."""

    def __bool__(self) -> bool:
        return True

    def __iter__(self) -> Iterator[Any]:
        raise TypeError(v.NOT_ITERABLE)

    def __len__(self) -> int:
        raise TypeError(v.NO_LEN)


class KVNamespace(KvNamespaceObject):
    """One KV namespace, as ``env.MY_KV`` sees it."""

    def __init__(self, binding: str, namespace_id: str, store: KVStore, clock: Callable[[], float]) -> None:
        self._binding = binding
        self._namespace_id = namespace_id
        self._store = store
        self._clock = clock

    def __repr__(self) -> str:
        return f"<KVNamespace {self._binding} id={self._namespace_id!r}>"

    # -- get -----------------------------------------------------------------------------------------------------

    async def get(self, key: Any, options: Any = None, /, *, type: str | None = None, cacheTtl: Any = None) -> Any:
        """``get(key[, type | {type, cacheTtl}])``; a list of keys is a bulk get returning ``{key: value | None}``."""
        if options is None and type is None and cacheTtl is None and key.__class__ is str:
            # the hot path: get(key) as text
            v.check_key_client("GET", key)
            found = self._store.now(self._read, key)
            if found is LATER:  # another process holds the lock, or the thread has this namespace
                found = await self._store.later(self._read, key)
            if found is None:
                return None
            return found[1].decode("utf-8", "replace")
        type_, cache_ttl = _get_options(options, type, cacheTtl)
        if isinstance(key, (list, tuple)):
            return await self._bulk(key, type_, cache_ttl, with_metadata=False)
        key = _key(key)
        v.check_key_client("GET", key)
        v.check_cache_ttl("GET", cache_ttl)
        return (await self._get_one(key, type_))[0]

    async def getWithMetadata(
        self, key: Any, options: Any = None, /, *, type: str | None = None, cacheTtl: Any = None
    ) -> Any:
        """``{value, metadata, cacheStatus}``; a list of keys gives ``{key: {value, metadata} | None}``."""
        type_, cache_ttl = _get_options(options, type, cacheTtl)
        if isinstance(key, (list, tuple)):
            return await self._bulk(key, type_, cache_ttl, with_metadata=True)
        key = _key(key)
        v.check_key_client("GET", key)
        v.check_cache_ttl("GET", cache_ttl)
        value, metadata = await self._get_one(key, type_)
        return JsObject(value=value, metadata=metadata, cacheStatus=None)

    async def _get_one(self, key: str, type_: str | None) -> tuple[Any, Any]:
        type_ = type_ or "text"
        if type_ == "stream":
            found_stream = await self._store.run(self._read_stream, key)
            if found_stream is None:
                return None, None
            row, chunks = found_stream
            return ValueStream(chunks), _metadata(row[2])
        found = await self._store.run(self._read, key)
        if found is None:
            # the runtime only looks at the type once a value came back
            return None, None
        row, data = found
        if type_ == "text":
            value: Any = data.decode("utf-8", "replace")
        elif type_ == "json":
            value = v.parse_json_value(data.decode("utf-8", "replace"))
        elif type_ == "arrayBuffer":
            value = memoryview(data)  # the SDK converts the ArrayBuffer to a memoryview
        else:
            raise TypeError(v.UNKNOWN_TYPE)
        return value, _metadata(row[2])

    def _read(self, key: str) -> tuple[tuple[str, int | None, str | None], bytes] | None:
        store = self._store
        for _ in range(_BLOB_RETRIES):
            row = store.row(key)
            if row is None:
                return None
            expiration = row[1]
            if expiration is not None and expiration <= self._clock() * 1000:
                store.drop_expired(key, row[0])
                return None
            try:
                return row, store.value(row[0])
            except BlobMissing:
                continue  # replaced by another process between the two reads: read the new row
        raise v.server_error("GET", 500, "Internal Server Error")

    def _read_stream(self, key: str) -> tuple[tuple[str, int | None, str | None], Iterator[bytes]] | None:
        store = self._store
        for _ in range(_BLOB_RETRIES):
            row = store.row(key)
            if row is None:
                return None
            if row[1] is not None and row[1] <= self._clock() * 1000:
                store.drop_expired(key, row[0])
                return None
            try:
                return row, store.blobs.open_chunks(row[0])
            except BlobMissing:
                continue
        raise v.server_error("GET", 500, "Internal Server Error")

    async def _bulk(self, keys: Any, type_: str | None, cache_ttl: Any, *, with_metadata: bool) -> JsObject:
        names = [v.usv(_key(k)) for k in keys]
        v.check_bulk(names, type_)
        as_json = type_ == "json"
        out = JsObject()
        total = 0
        for name in names:
            v.check_key_server("GET_BULK", name)
            v.check_cache_ttl("GET_BULK", cache_ttl)
        read = self._read
        everything = await self._store.run(lambda: [read(name) for name in names])
        for name, found in zip(names, everything, strict=True):
            if found is None:
                out[name] = None
                continue
            row, data = found
            text = data.decode("utf-8", "replace")
            total += len(text)
            if as_json:
                try:
                    value: Any = v.parse_json_value(text)
                except JsException:
                    raise v.server_error(
                        "GET_BULK", 400, "At least one of the requested keys corresponds to a non-json value"
                    ) from None
            else:
                value = text
            out[name] = JsObject(value=value, metadata=_metadata(row[2])) if with_metadata else value
        if total > v.MAX_BULK_BYTES:
            raise v.server_error("GET_BULK", 413, "Total size of request exceeds the limit of 25MB")
        return out

    # -- put / delete --------------------------------------------------------------------------------------------

    async def put(
        self,
        key: Any,
        value: Any,
        options: Any = None,
        /,
        *,
        expiration: Any = None,
        expirationTtl: Any = None,
        metadata: Any = None,
    ) -> None:
        """Store ``value`` (str, bytes-like or an async iterable of bytes) under ``key``."""
        v.check_options("put", options)
        if options is not None:
            expiration = options.get("expiration", expiration)
            expirationTtl = options.get("expirationTtl", expirationTtl)
            metadata = options.get("metadata", metadata)
        key = _key(key)
        v.check_key_client("PUT", key)
        data, stream = _put_body(value)
        # the service's checks, in its order: key, expiration, metadata, then the value length
        now = self._clock()
        exp = v.put_expiration(int(now), expiration, expirationTtl)
        meta = v.metadata_json(metadata)
        store = self._store
        if stream is None:
            assert data is not None
            if len(data) > v.MAX_VALUE_BYTES:
                raise v.value_too_large(len(data))
            if len(data) >= THREAD_THRESHOLD:
                blob_id = await asyncio.to_thread(store.put_bytes, data)
            else:
                blob_id = store.put_bytes(data)
        else:
            written, size = await put_stream(store.blobs, stream, v.MAX_VALUE_BYTES)
            if written is None:
                raise v.value_too_large(size)
            blob_id = written
        expiration_ms = None if exp is None else exp * 1000
        try:
            replaced = store.now(store.put_row, key, blob_id, expiration_ms, meta)
            if replaced is LATER:  # another process holds the write lock: wait for it off the event loop
                replaced = await store.later(store.put_row, key, blob_id, expiration_ms, meta)
        except BaseException:
            store.blobs.delete(blob_id)  # no row points at it
            raise
        store.forget_replaced(replaced, blob_id)

    async def delete(self, key: Any) -> None:
        """Remove ``key`` (a missing key is fine)."""
        key = _key(key)
        v.check_key_client("DELETE", key)
        await self._store.run(self._store.delete, key)

    # -- list ----------------------------------------------------------------------------------------------------

    async def list(self, options: Any = None, /, *, prefix: Any = None, limit: Any = None, cursor: Any = None) -> Any:
        """``{keys: [{name, expiration?, metadata?}], list_complete, cursor?, cacheStatus}`` in UTF-8 byte order."""
        v.check_options("list", options)
        if options is not None:
            prefix = options.get("prefix", prefix)
            limit = options.get("limit", limit)
            cursor = options.get("cursor", cursor)
        count = v.list_limit(limit)
        prefix_text = "" if prefix is None else v.usv(_key(prefix))
        v.check_key_length("GET", prefix_text)
        start_after = _decode_cursor(cursor)
        now_ms = int(self._clock() * 1000)
        store = self._store

        def page() -> list[tuple[str, int | None, str | None]]:
            rows = store.list(prefix_text, start_after, count + 1, now_ms)
            store.purge_expired(now_ms)
            return rows

        rows = await store.run(page)
        more = len(rows) > count
        if more:
            del rows[count:]
        keys = []
        for name, expiration, metadata in rows:
            entry = JsObject(name=name)
            if expiration is not None:
                entry["expiration"] = expiration // 1000
            if metadata is not None:
                entry["metadata"] = json.loads(metadata)
            keys.append(entry)
        result = JsObject(keys=keys, list_complete=not more)
        if more:
            result["cursor"] = base64.b64encode(rows[-1][0].encode("utf-8")).decode("ascii")
        result["cacheStatus"] = None
        return result


def _key(key: Any) -> str:
    """A key as the runtime receives it: JS converts primitives to strings (a lone surrogate is kept, so that
    get/put/delete can refuse it as the service does; list prefixes and bulk keys apply :func:`usv`)."""
    if key.__class__ is str:
        return key
    if isinstance(key, str):
        return str(key)
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, (int, float)):
        return v.js_number_text(key)
    raise TypeError(f"KV key must be a string, not {key.__class__.__name__}.")


def _get_options(options: Any, type_: str | None, cache_ttl: Any) -> tuple[str | None, Any]:
    if options is None:
        return type_, cache_ttl
    if isinstance(options, str):
        return options, cache_ttl
    if isinstance(options, dict):
        return options.get("type", type_), options.get("cacheTtl", cache_ttl)
    raise TypeError('KV get() options must be a type name ("text", "json", "arrayBuffer", "stream") or an object.')


def _put_body(value: Any) -> tuple[bytes | None, AsyncIterable[Any] | None]:
    """``(bytes, None)`` for a whole value, ``(None, stream)`` for an async byte stream; TypeError otherwise."""
    if isinstance(value, str):
        try:
            return value.encode("utf-8"), None
        except UnicodeEncodeError:
            return v.usv(str(value)).encode("utf-8"), None
    if isinstance(value, (bytes, bytearray)):
        return bytes(value), None
    if isinstance(value, memoryview):
        return value.tobytes(), None
    if hasattr(value, "__aiter__"):
        return None, value
    # JS turns primitives into strings before it looks at the body type
    if value is None:
        return b"null", None
    if isinstance(value, bool):
        return (b"true" if value else b"false"), None
    if isinstance(value, (int, float)):
        return v.js_number_text(value).encode("ascii"), None
    try:
        return memoryview(value).tobytes(), None  # other bytes-likes (array.array, numpy buffers, …)
    except TypeError:
        raise TypeError(v.UNSUPPORTED_VALUE) from None


def _metadata(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def _decode_cursor(cursor: Any) -> str:
    """Cursors are base64 of the last key returned, decoded leniently as Miniflare does (a made-up cursor decodes
    to text after every key: an empty page)."""
    if cursor is None or cursor == "":
        return ""
    return decode_list_cursor(str(cursor))
