"""Vectorize through the flarebind proxy worker: the same interface as :mod:`flarebind_vectorize.binding`, remote.

Vector values go as JSON numbers (a float32 value is exactly representable as a JS number, so the index receives the
very values given); typed-array results (``Float32Array`` reaches us as bytes) come back as lists of floats, like the
local simulator's. Options are sent as one nested object with the JS names; the service's errors arrive with their
message text unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flarebind.plugin import JsObject, RemoteBinding, options_args, shape

from flarebind_vectorize import validation as v


def _wire_values(values: Any) -> Any:
    """Vector values as a list of numbers (lists pass through, so the service judges bad input itself)."""
    if isinstance(values, list):
        return values
    if isinstance(values, tuple):
        return list(values)
    return [float(x) for x in v.vector_values(values)]


def _wire_vectors(vectors: Any) -> Any:
    if not isinstance(vectors, (list, tuple)):
        return vectors
    out = []
    for item in vectors:
        if isinstance(item, Mapping):
            entry = dict(item)
        else:
            entry = {k: getattr(item, k) for k in ("id", "values", "namespace", "metadata") if hasattr(item, k)}
        if entry.get("values") is not None:
            entry["values"] = _wire_values(entry["values"])
        out.append({k: val for k, val in entry.items() if val is not None})
    return out


def _numbers(value: Any) -> Any:
    """A typed array that crossed as bytes -> its float32 values."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return v.unpack_f32(bytes(value))
    return value


def _shape_vector(item: Any) -> Any:
    if isinstance(item, JsObject) and "values" in item:
        item["values"] = _numbers(item["values"])
    return item


def _shape_result(result: Any) -> Any:
    out = shape(result)
    if isinstance(out, JsObject):
        for match in out.get("matches") or []:
            _shape_vector(match)
    return out


class RemoteVectorizeIndex(RemoteBinding):
    """``env.MY_INDEX`` when the index is remote."""

    async def insert(self, vectors: Any) -> Any:
        return shape(await self._call([{"call": "insert", "args": [_wire_vectors(vectors)]}]))

    async def upsert(self, vectors: Any) -> Any:
        return shape(await self._call([{"call": "upsert", "args": [_wire_vectors(vectors)]}]))

    async def query(self, vector: Any, options: Any = None, /, **kwargs: Any) -> Any:
        args = options_args((_wire_values(vector), options), kwargs)
        return _shape_result(await self._call([{"call": "query", "args": args}]))

    async def queryById(self, vectorId: Any, options: Any = None, /, **kwargs: Any) -> Any:
        args = options_args((vectorId, options), kwargs)
        return _shape_result(await self._call([{"call": "queryById", "args": args}]))

    async def getByIds(self, ids: Any) -> Any:
        result = shape(await self._call([{"call": "getByIds", "args": [list(ids)]}]))
        return [_shape_vector(item) for item in result or []]

    async def deleteByIds(self, ids: Any) -> Any:
        return shape(await self._call([{"call": "deleteByIds", "args": [list(ids)]}]))

    async def describe(self) -> Any:
        return shape(await self._call([{"call": "describe"}]))


def make_remote(name: str, spec: dict[str, Any], channel: Any) -> RemoteVectorizeIndex:
    return RemoteVectorizeIndex(name, spec, channel)
