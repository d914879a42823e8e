"""KV through the flarebind proxy worker: the same interface as :mod:`flarebind_kv.binding`, remote."""

from __future__ import annotations

from typing import Any

from flarebind.plugin import JsObject, RemoteBinding, RemoteStream, body_arg, is_stream_source, options_args, shape

from flarebind_kv import validation as v
from flarebind_kv.binding import KvNamespaceObject

_SENDABLE = (str, bytes, bytearray, memoryview, int, float, bool, type(None), dict, list, tuple)


class RemoteValueStream(RemoteStream):
    """A ``type="stream"`` value: async iterator of bytes, like the local ``ValueStream``."""

    @classmethod
    def wrap(cls, stream: RemoteStream) -> RemoteValueStream:
        stream.__class__ = cls
        return stream  # type: ignore[return-value]

    async def read_all(self) -> bytes:
        return await self.read()

    async def cancel(self) -> None:
        await self.aclose()


def _shape_value(value: Any) -> Any:
    if isinstance(value, RemoteStream):
        return RemoteValueStream.wrap(value)
    if isinstance(value, (bytes, bytearray)):
        return memoryview(bytes(value))  # an ArrayBuffer, as the SDK converts it
    return shape(value)


class RemoteKVNamespace(KvNamespaceObject, RemoteBinding):
    """``env.MY_KV`` when the namespace is remote."""

    async def get(self, key: Any, options: Any = None, /, *, type: str | None = None, cacheTtl: Any = None) -> Any:
        args = _get_args(options, type, cacheTtl)
        result = await self._call([{"call": "get", "args": [_wire_key(key), *args]}])
        if isinstance(key, (list, tuple)):
            return JsObject({k: _shape_value(v) for k, v in (result or {}).items()})
        return _shape_value(result)

    async def getWithMetadata(
        self, key: Any, options: Any = None, /, *, type: str | None = None, cacheTtl: Any = None
    ) -> Any:
        args = _get_args(options, type, cacheTtl)
        result = await self._call([{"call": "getWithMetadata", "args": [_wire_key(key), *args]}])
        if isinstance(key, (list, tuple)):
            return JsObject({k: shape(v) for k, v in (result or {}).items()})
        out = shape(result)
        if isinstance(out, JsObject) and isinstance(out.get("value"), (RemoteStream, bytes, bytearray)):
            out["value"] = _shape_value(out["value"])
        return out

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
        v.check_options("put", options)
        opts = dict(options or {})
        for name, given in (("expiration", expiration), ("expirationTtl", expirationTtl), ("metadata", metadata)):
            if given is not None:
                opts[name] = given
        if not isinstance(value, _SENDABLE) and not is_stream_source(value):
            # what the runtime says about a value it cannot store (the proxy could not even receive this one)
            raise TypeError(v.UNSUPPORTED_VALUE)
        args = [_wire_key(key), body_arg(value)]
        if opts:
            args.append(opts)
        await self._call([{"call": "put", "args": args}])

    async def delete(self, key: Any) -> None:
        await self._call([{"call": "delete", "args": [_wire_key(key)]}])

    async def list(self, options: Any = None, /, *, prefix: Any = None, limit: Any = None, cursor: Any = None) -> Any:
        v.check_options("list", options)
        args = options_args((options,), {"prefix": prefix, "limit": limit, "cursor": cursor})
        return shape(await self._call([{"call": "list", "args": args}]))


def _wire_key(key: Any) -> Any:
    return list(key) if isinstance(key, tuple) else key


def _get_args(options: Any, type_: str | None, cache_ttl: Any) -> list[Any]:
    if isinstance(options, str):
        if cache_ttl is None:
            return [options]
        return [{"type": options, "cacheTtl": cache_ttl}]
    if options is not None and not isinstance(options, dict):
        return [options]  # the runtime decides what a wrong option type means
    return options_args((options,), {"type": type_, "cacheTtl": cache_ttl})


def make_remote(name: str, spec: dict[str, Any], channel: Any) -> RemoteKVNamespace:
    return RemoteKVNamespace(name, spec, channel)
