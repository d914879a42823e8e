"""The local D1 adapter: the same SQLite file wrangler uses (Miniflare's v3 layout), or a private in-memory one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flarebind.plugin import LocalContext, durable_object_file_name, ensure_metadata_db

from flarebind_d1.binding import D1Database
from flarebind_d1.engine import D1Engine

UNIQUE_KEY = "miniflare-D1DatabaseObject"


def database_id(binding: str, spec: dict[str, Any]) -> str:
    """The id wrangler names the local file by: preview id, else database id, else the binding name."""
    return str(spec.get("preview_database_id") or spec.get("database_id") or binding)


def database_folder(persist_to: Path | str) -> Path:
    return Path(persist_to) / "v3" / "d1" / UNIQUE_KEY


def database_path(persist_to: Path | str, db_id: str) -> Path:
    """``<persist_to>/v3/d1/miniflare-D1DatabaseObject/<durable object id>.sqlite``."""
    return database_folder(persist_to) / durable_object_file_name(UNIQUE_KEY, db_id)


def open_engine(persist_to: Path | str | None, db_id: str) -> D1Engine:
    """An engine on the wrangler-compatible file under ``persist_to`` (``None``: in memory)."""
    if persist_to is None:
        return D1Engine(None)
    folder = database_folder(persist_to)
    folder.mkdir(parents=True, exist_ok=True)
    ensure_metadata_db(folder)
    return D1Engine(folder / durable_object_file_name(UNIQUE_KEY, db_id))


def make_local(name: str, spec: dict[str, Any], ctx: LocalContext) -> D1Database:
    # one engine per database and context (ctx.store), so two bindings to one database share a connection (as they
    # share one Durable Object in Miniflare); closed when the context is disposed
    db_id = database_id(name, spec)
    engine = ctx.store("d1", db_id, lambda: open_engine(None if ctx.in_memory else ctx.persist_to, db_id))
    return D1Database(engine, name)
