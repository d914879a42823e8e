"""The local R2 adapter: ``make_local(name, spec, ctx)`` builds an R2Bucket over wrangler's on-disk layout.

One store per (context, bucket name) (``ctx.store``), so two bindings of the same bucket share rows and blob
bookkeeping; it is closed when the context is disposed.
"""

from __future__ import annotations

from typing import Any

from flarebind.plugin import (
    FileBlobStore,
    LocalContext,
    MemoryBlobStore,
    confined,
    durable_object_file_name,
    ensure_metadata_db,
)

from flarebind_r2.binding import R2Bucket
from flarebind_r2.store import BucketStore

UNIQUE_KEY = "miniflare-R2BucketObject"


def open_store(ctx: LocalContext, bucket_name: str) -> BucketStore:
    def create() -> BucketStore:
        if ctx.in_memory:
            return BucketStore(None, MemoryBlobStore())
        root = ctx.v3_dir("r2")
        blob_root = confined(root, bucket_name, "R2 bucket name")  # never a path outside the state folder
        folder = root / UNIQUE_KEY
        folder.mkdir(parents=True, exist_ok=True)
        ensure_metadata_db(folder)
        return BucketStore(folder / durable_object_file_name(UNIQUE_KEY, bucket_name), FileBlobStore(blob_root))

    return ctx.store("r2", bucket_name, create)


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
