"""The local Vectorize simulator's factory: ``make_local(name, spec, ctx)`` -> a :class:`VectorizeIndex`.

State lives under ``ctx.persist_to / "v3" / "vectorize"`` (see :mod:`flarebind_vectorize.store`), or in memory when
``ctx.in_memory``. One :class:`~flarebind_vectorize.store.Catalog` per context: bindings naming the same index share
one store and one matrix; everything is closed when the context is disposed. Building a binding never creates an
index: as on Cloudflare, an index exists once created (``flarebind vectorize create``), and calling a binding whose
index was never created raises an error naming that command.
"""

from __future__ import annotations

import weakref
from typing import Any

from flarebind.plugin import LocalContext

from flarebind_vectorize.binding import VectorizeIndex
from flarebind_vectorize.store import Catalog
from flarebind_vectorize.validation import check_index_name

STATE_FOLDER = "vectorize"

_catalogs: dict[int, tuple[weakref.ref[LocalContext], Catalog]] = {}


def catalog_for(ctx: LocalContext) -> Catalog:
    """The context's catalog of indexes (created on first use, closed with the context)."""
    entry = _catalogs.get(id(ctx))
    if entry is None or entry[0]() is not ctx:
        key = id(ctx)
        catalog = Catalog(None if ctx.in_memory else ctx.v3_dir(STATE_FOLDER))
        entry = _catalogs[key] = (weakref.ref(ctx), catalog)

        def cleanup() -> None:
            _catalogs.pop(key, None)
            catalog.close()

        ctx.add_cleanup(cleanup)
    return entry[1]


def make_local(name: str, spec: dict[str, Any], ctx: LocalContext) -> VectorizeIndex:
    index_name = check_index_name(str(spec.get("index_name") or ""))
    catalog = catalog_for(ctx)
    return VectorizeIndex(name, index_name, lambda: catalog.open(index_name))
