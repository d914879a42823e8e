"""Miniflare's v3 layout: file names and the metadata database, as wrangler writes them."""

from __future__ import annotations

import sqlite3

from flarebind.storage import durable_object_file_name
from flarebind.storage.sqlite import ensure_metadata_db


def test_durable_object_file_names_match_wrangler():
    # values read off files written by wrangler 4.86 (reference: wrangler-local-state.md)
    assert durable_object_file_name("miniflare-KVNamespaceObject", "kv-id") == (
        "e804d393442d21211bc1ec7aba1b3898d04a2d7269832ba8e294f8854dfb69e1.sqlite"
    )
    assert durable_object_file_name("miniflare-D1DatabaseObject", "db-id") == (
        "56f9074391a3d15cc4acf868c81e948bd08a8f5fc071a43ebfbac72447fb343e.sqlite"
    )
    assert durable_object_file_name("miniflare-R2BucketObject", "bucket") == (
        "29965eb20d6b29e3c7008c7d0bc667fe58e803dc45daff05d97f04d3666537f4.sqlite"
    )


def test_metadata_db_has_miniflares_alarm_table(tmp_path):
    ensure_metadata_db(tmp_path)
    ensure_metadata_db(tmp_path)  # idempotent
    (sql,) = sqlite3.connect(tmp_path / "metadata.sqlite").execute("SELECT sql FROM sqlite_master").fetchone()
    assert " ".join(sql.split()) == (
        "CREATE TABLE _cf_ALARM (actor_id TEXT PRIMARY KEY, scheduled_time INTEGER) WITHOUT ROWID"
    )
