"""On-disk state in wrangler's (Miniflare v3) layout, shared by the KV, R2 and D1 simulators.

See ``docs/state.md``: one SQLite file per namespace / bucket / database, named by the Durable Object id Miniflare
derives from the resource id, and value bodies as blob files written completely before the row that points at
them commits, so a killed process never leaves a torn value visible.
"""

from flarebind.storage.blobs import BlobStore, FileBlobStore, MemoryBlobStore, new_blob_id
from flarebind.storage.paths import UnsafeResourceName, confined
from flarebind.storage.sqlite import connect, durable_object_file_name

__all__ = [
    "BlobStore",
    "FileBlobStore",
    "MemoryBlobStore",
    "UnsafeResourceName",
    "confined",
    "connect",
    "durable_object_file_name",
    "new_blob_id",
]
