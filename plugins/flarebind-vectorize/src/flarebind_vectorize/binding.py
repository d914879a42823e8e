"""The Vectorize index binding object: the Workers runtime API (V2 indexes) in Python, over an
:class:`~flarebind_vectorize.store.IndexStore`.

``insert`` / ``upsert`` / ``deleteByIds`` return ``{mutationId}`` and, unlike Cloudflare (where mutations are applied
a few seconds later), are visible to the next query at once. ``query`` / ``queryById`` return the exact k nearest
neighbours. Options are the JS names, as one dict (``query(v, {"topK": 3})``) or as keywords (``query(v, topK=3)``).
Results are :class:`~flarebind.plugin.JsObject` (dicts with attribute access).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

from flarebind.plugin import JsObject

from flarebind_vectorize import errors as e
from flarebind_vectorize import validation as v
from flarebind_vectorize.store import IndexStore

# work touching at least this many float32 cells (rows x dimensions) runs on a worker thread, so the dev server's
# event loop keeps serving while a large index is scanned; below it (about 20k x 768, a few ms of BLAS) the hop to a
# thread would cost a good share of the query itself
THREAD_CELLS = 16_000_000


class VectorizeIndex:
    """One Vectorize index, as ``env.MY_INDEX`` sees it."""

    def __init__(self, binding: str, index_name: str, open_store: Callable[[], IndexStore]) -> None:
        self._binding = binding
        self._index_name = index_name
        self._open_store = open_store

    def __repr__(self) -> str:
        return f"<VectorizeIndex {self._binding} index={self._index_name!r}>"

    async def _run(self, fn: Callable[[IndexStore], Any]) -> Any:
        store = self._open_store()  # IndexNotFound names the command that creates the index
        matrix = store.matrix
        cells = 0 if matrix is None else matrix.high * matrix.dimensions
        if cells >= THREAD_CELLS:
            return await asyncio.to_thread(fn, store)
        return fn(store)

    # -- mutations ------------------------------------------------------------------------------------------------

    async def insert(self, vectors: Any) -> JsObject:
        """Insert vectors; ids that already exist are left as they are (only new ids are inserted)."""
        return await self._mutate("VECTOR_INSERT", vectors, replace=False)

    async def upsert(self, vectors: Any) -> JsObject:
        """Insert vectors, replacing existing ids in full (values, namespace and metadata)."""
        return await self._mutate("VECTOR_UPSERT", vectors, replace=True)

    async def _mutate(self, op: str, vectors: Any, *, replace: bool) -> JsObject:
        def work(store: IndexStore) -> JsObject:
            rows = v.vectors_arg(op, vectors, store.dimensions)
            return JsObject(mutationId=store.write_vectors(rows, replace=replace))

        return await self._run(work)

    async def deleteByIds(self, ids: Any) -> JsObject:
        checked = v.ids_arg("VECTOR_DELETE", ids)
        return await self._run(lambda store: JsObject(mutationId=store.delete_vectors(checked)))

    # -- reads ----------------------------------------------------------------------------------------------------

    async def query(
        self,
        vector: Any,
        options: Any = None,
        /,
        *,
        topK: Any = None,
        returnValues: Any = None,
        returnMetadata: Any = None,
        filter: Any = None,
        namespace: Any = None,
    ) -> JsObject:
        opts = v.query_options(
            options,
            {
                "topK": topK,
                "returnValues": returnValues,
                "returnMetadata": returnMetadata,
                "filter": filter,
                "namespace": namespace,
            },
        )
        try:
            values = v.vector_values(vector)
        except TypeError as exc:
            raise e.vector_error("VECTOR_QUERY", e.BAD_VECTOR, f"invalid query vector: {exc}") from None
        return await self._run(lambda store: _result(store.search(values, opts)))

    async def queryById(
        self,
        vectorId: Any,
        options: Any = None,
        /,
        *,
        topK: Any = None,
        returnValues: Any = None,
        returnMetadata: Any = None,
        filter: Any = None,
        namespace: Any = None,
    ) -> JsObject:
        """Query with the values of a vector already in the index (an unknown id matches nothing)."""
        opts = v.query_options(
            options,
            {
                "topK": topK,
                "returnValues": returnValues,
                "returnMetadata": returnMetadata,
                "filter": filter,
                "namespace": namespace,
            },
        )
        vid = v.check_id("VECTOR_QUERY", vectorId)

        def work(store: IndexStore) -> JsObject:
            values = store.stored_values(vid)
            if values is None:
                return _result([])
            return _result(store.search(values, opts))

        return await self._run(work)

    async def getByIds(self, ids: Any) -> list[JsObject]:
        """The vectors of the ids that exist (values, and namespace / metadata when they have one)."""
        checked = v.ids_arg("VECTOR_GET", ids, v.MAX_GET_IDS)

        def work(store: IndexStore) -> list[JsObject]:
            out = []
            for vid, namespace, values, metadata in store.get_vectors(checked):
                item = JsObject(id=vid, values=values)
                if namespace is not None:
                    item["namespace"] = namespace
                if metadata:
                    item["metadata"] = _js(json.loads(metadata))
                out.append(item)
            return out

        return await self._run(work)

    async def describe(self) -> JsObject:
        """``{vectorCount, dimensions, processedUpToDatetime, processedUpToMutation}`` (V2 index info)."""

        def work(store: IndexStore) -> JsObject:
            info = store.info()
            return JsObject(
                vectorCount=info["vectorCount"],
                dimensions=info["dimensions"],
                processedUpToDatetime=info["processedUpToDatetime"],
                processedUpToMutation=info["processedUpToMutation"],
            )

        return await self._run(work)


def _js(value: Any) -> Any:
    if isinstance(value, dict):
        return JsObject({k: _js(x) for k, x in value.items()})
    if isinstance(value, list):
        return [_js(x) for x in value]
    return value


def _result(matches: list[dict[str, Any]]) -> JsObject:
    out = []
    for match in matches:
        item = JsObject(match)  # id, score, values (a list of floats) and namespace need no conversion
        if "metadata" in match:
            item["metadata"] = _js(match["metadata"])
        out.append(item)
    return JsObject(count=len(out), matches=out)
