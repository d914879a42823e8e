"""The local KV simulator's factory: ``make_local(name, spec, ctx)`` -> a :class:`KVNamespace`.

State lives in wrangler's layout under ``ctx.persist_to`` (see :mod:`flarebind_kv.store`), or in memory when
``ctx.in_memory``. Bindings of one context that name the same namespace id share one store (one connection, one
value cache, ``ctx.store``); the store is closed when the context is disposed.
"""

from __future__ import annotations

from typing import Any

from flarebind.plugin import LocalContext

from flarebind_kv.binding import KVNamespace
from flarebind_kv.store import KVStore, namespace_paths


def namespace_id_of(name: str, spec: dict[str, Any]) -> str:
    """The resource id: the namespace ``id`` (preview ids are substituted before we are called), else the binding
    name, which is what wrangler uses for a KV binding declared without an id in local development."""
    return str(spec.get("id") or spec.get("namespace_id") or name)


def open_store(ctx: LocalContext, namespace_id: str) -> KVStore:
    def create() -> KVStore:
        if ctx.in_memory:
            return KVStore(None, None)
        db, blob_root = namespace_paths(ctx.v3_dir("kv"), namespace_id)
        return KVStore(db, blob_root)

    return ctx.store("kv", namespace_id, create, reusable=lambda store: not store._closed)


def make_local(name: str, spec: dict[str, Any], ctx: LocalContext) -> KVNamespace:
    namespace_id = namespace_id_of(name, spec)
    return KVNamespace(name, namespace_id, open_store(ctx, namespace_id), ctx.clock)
