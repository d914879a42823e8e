"""SQLite files in Miniflare's v3 layout."""

from __future__ import annotations

import hashlib
import hmac
import sqlite3
from pathlib import Path


def durable_object_file_name(unique_key: str, resource_id: str) -> str:
    """The file name Miniflare gives the Durable Object holding ``resource_id`` (e.g. a KV namespace id).

    ``unique_key`` is the object class key, e.g. ``miniflare-KVNamespaceObject``.
    """
    key = hashlib.sha256(unique_key.encode()).digest()
    name_mac = hmac.new(key, resource_id.encode(), hashlib.sha256).digest()[:16]
    mac = hmac.new(key, name_mac, hashlib.sha256).digest()[:16]
    return (name_mac + mac).hex() + ".sqlite"


def connect(path: Path | str | None, *, busy_timeout_ms: int = 30_000) -> sqlite3.Connection:
    """Open a database as the simulators need it: WAL, a generous busy timeout, autocommit unless in a transaction.

    ``None`` opens a private in-memory database. Several processes may share one file: WAL lets readers run beside
    one writer, and the busy timeout makes writers wait instead of failing with "database is locked".
    """
    if path is None:
        conn = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
    else:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=busy_timeout_ms / 1000)
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        conn.execute("PRAGMA journal_mode = WAL")
        # NORMAL is durable across process crashes in WAL mode (only an OS crash can lose the last commits),
        # which is the guarantee local development needs.
        conn.execute("PRAGMA synchronous = NORMAL")
    return conn


def ensure_metadata_db(folder: Path) -> None:
    """Create the ``metadata.sqlite`` Miniflare keeps beside each object folder (alarms table), if missing."""
    path = folder / "metadata.sqlite"
    if path.exists():
        return
    conn = connect(path)
    try:
        # the exact schema Miniflare creates (checked against a file written by `wrangler kv key put --local`)
        conn.execute(
            "CREATE TABLE IF NOT EXISTS _cf_ALARM (actor_id TEXT PRIMARY KEY, scheduled_time INTEGER) WITHOUT ROWID"
        )
    finally:
        conn.close()
