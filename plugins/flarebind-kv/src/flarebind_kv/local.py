"""The local KV simulator's factory: ``make_local(name, spec, ctx)`` -> a :class:`KVNamespace`.

State lives in wrangler's layout under ``ctx.persist_to`` (see :mod:`flarebind_kv.store`), or in memory when
``ctx.in_memory``. Bindings of one context that name the same namespace id share one store (one connection, one
value cache); the store is closed when the context is disposed.
"""

from __future__ import annotations

import weakref
from typing import Any

from flarebind.bindings.context import LocalContext

from flarebind_kv.binding import KVNamespace
from flarebind_kv.store import KVStore, namespace_paths

# per context (contexts are attrs classes compared by value, hence keyed by identity with a weak reference)
_stores: dict[int, tuple[weakref.ref[LocalContext], dict[str, KVStore]]] = {}


def namespace_id_of(name: str, spec: dict[str, Any]) -> str:
    """The resource id: the namespace ``id`` (preview ids are substituted before we are called), else the binding
    name, which is what wrangler uses for a KV binding declared without an id in local development."""
    return str(spec.get("id") or spec.get("namespace_id") or name)


def open_store(ctx: LocalContext, namespace_id: str) -> KVStore:
    entry = _stores.get(id(ctx))
    if entry is None or entry[0]() is not ctx:
        key = id(ctx)
        entry = _stores[key] = (weakref.ref(ctx), {})
        ctx.add_cleanup(lambda: _stores.pop(key, None))
    stores = entry[1]
    store = stores.get(namespace_id)
    if store is None or store._closed:
        if ctx.in_memory:
            store = KVStore(None, None)
        else:
            db, blob_root = namespace_paths(ctx.v3_dir("kv"), namespace_id)
            store = KVStore(db, blob_root)
        stores[namespace_id] = store
        ctx.add_cleanup(store.close)
    return store


def make_local(name: str, spec: dict[str, Any], ctx: LocalContext) -> KVNamespace:
    namespace_id = namespace_id_of(name, spec)
    return KVNamespace(name, namespace_id, open_store(ctx, namespace_id), ctx.clock)
