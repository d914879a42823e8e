"""The local R2 adapter: ``make_local(name, spec, ctx)`` builds an R2Bucket over wrangler's on-disk layout.

One store per (context, bucket name), so two bindings of the same bucket share rows and blob bookkeeping; it is
closed when the context is disposed.
"""

from __future__ import annotations

import weakref
from typing import Any

from flarebind.bindings.context import LocalContext
from flarebind.plugin import confined
from flarebind.storage import durable_object_file_name
from flarebind.storage.blobs import FileBlobStore, MemoryBlobStore
from flarebind.storage.sqlite import ensure_metadata_db

from flarebind_r2.binding import R2Bucket
from flarebind_r2.store import BucketStore

UNIQUE_KEY = "miniflare-R2BucketObject"
# LocalContext is unhashable (attrs eq), so stores are kept by id() with a weak reference that proves the id still
# names the same context (an id can be reused once a context that was never disposed is collected)
_stores: dict[int, tuple[weakref.ref[LocalContext], dict[str, BucketStore]]] = {}


def open_store(ctx: LocalContext, bucket_name: str) -> BucketStore:
    entry = _stores.get(id(ctx))
    if entry is None or entry[0]() is not ctx:
        per_ctx: dict[str, BucketStore] = {}
        key = id(ctx)

        def forget(ref: weakref.ref[LocalContext]) -> None:
            # a context collected without dispose(): drop and close its stores
            found = _stores.get(key)
            if found is not None and found[0] is ref:
                del _stores[key]
                for store in found[1].values():
                    store.close()

        _stores[key] = (weakref.ref(ctx, forget), per_ctx)

        def close_all() -> None:
            found = _stores.get(id(ctx))
            if found is not None and found[1] is per_ctx:
                del _stores[id(ctx)]
            for store in per_ctx.values():
                store.close()

        ctx.add_cleanup(close_all)
    else:
        per_ctx = entry[1]
    store = per_ctx.get(bucket_name)
    if store is None:
        if ctx.in_memory:
            store = BucketStore(None, MemoryBlobStore())
        else:
            root = ctx.v3_dir("r2")
            blob_root = confined(root, bucket_name, "R2 bucket name")  # never a path outside the state folder
            folder = root / UNIQUE_KEY
            folder.mkdir(parents=True, exist_ok=True)
            ensure_metadata_db(folder)
            store = BucketStore(folder / durable_object_file_name(UNIQUE_KEY, bucket_name), FileBlobStore(blob_root))
        per_ctx[bucket_name] = store
    return store


def make_local(name: str, spec: dict[str, Any], ctx: LocalContext) -> R2Bucket:
    # wrangler's local mode keys the bucket by its name alone (a jurisdiction does not change local storage)
    bucket_name = spec.get("bucket_name") or name
    return R2Bucket(
        open_store(ctx, bucket_name),
        bucket_name=bucket_name,
        clock=ctx.clock,
        compatibility_date=ctx.compatibility_date,
        compatibility_flags=tuple(ctx.compatibility_flags),
    )
