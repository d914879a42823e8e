"""The local R2 adapter: ``make_local(name, spec, ctx)`` builds an R2Bucket over wrangler's on-disk layout.

One store per (context, bucket name), so two bindings of the same bucket share rows and blob bookkeeping; it is
closed when the context is disposed.
"""

from __future__ import annotations

from typing import Any

from flarebind.bindings.context import LocalContext
from flarebind.storage import durable_object_file_name
from flarebind.storage.sqlite import ensure_metadata_db

from flarebind_r2.blobs import FileBlobs, MemoryBlobs
from flarebind_r2.bucket import R2Bucket
from flarebind_r2.store import BucketStore

UNIQUE_KEY = "miniflare-R2BucketObject"
_stores: dict[int, dict[str, BucketStore]] = {}


def open_store(ctx: LocalContext, bucket_name: str) -> BucketStore:
    per_ctx = _stores.get(id(ctx))
    if per_ctx is None:
        per_ctx = _stores[id(ctx)] = {}

        def close_all() -> None:
            for store in _stores.pop(id(ctx), {}).values():
                store.close()

        ctx.add_cleanup(close_all)
    store = per_ctx.get(bucket_name)
    if store is None:
        if ctx.in_memory:
            store = BucketStore(None, MemoryBlobs())
        else:
            root = ctx.v3_dir("r2")
            folder = root / UNIQUE_KEY
            folder.mkdir(parents=True, exist_ok=True)
            ensure_metadata_db(folder)
            store = BucketStore(folder / durable_object_file_name(UNIQUE_KEY, bucket_name),
                                FileBlobs(root / bucket_name))
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
