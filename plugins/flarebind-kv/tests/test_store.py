"""Persistence: wrangler's exact layout, blob lifecycle, in-memory mode, state shared between contexts."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest
from flarebind.bindings.context import LocalContext
from flarebind.testing.bindings import open_bindings
from flarebind_kv.local import make_local
from flarebind_kv.store import prefix_upper_bound

SPEC = {"type": "kv_namespace", "id": "kv-id"}
# wrangler-local-state.md: the file wrangler 4.86 creates for namespace id "kv-id"
KV_ID_FILE = "e804d393442d21211bc1ec7aba1b3898d04a2d7269832ba8e294f8854dfb69e1.sqlite"


def rows(db: Path) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT key, blob_id, expiration, metadata FROM _mf_entries ORDER BY key").fetchall()
    finally:
        conn.close()


async def test_layout_matches_wrangler(tmp_path):
    state = tmp_path / "state"
    async with open_bindings("local", persist_to=state, clock=lambda: 1_800_000_000.5) as make:
        kv = await make("kv_namespace", {"id": "kv-id"})
        await kv.put("greeting", "hello", expirationTtl=3600, metadata={"lang": "en"})
        await kv.put("plain", b"\x00\xff")
    folder = state / "v3" / "kv" / "miniflare-KVNamespaceObject"
    assert sorted(p.name for p in folder.glob("*.sqlite")) == sorted([KV_ID_FILE, "metadata.sqlite"])
    conn = sqlite3.connect(folder / KV_ID_FILE)
    schema = {name: sql for name, sql in conn.execute("SELECT name, sql FROM sqlite_master")}
    assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    conn.close()
    assert "key TEXT PRIMARY KEY" in schema["_mf_entries"]
    assert "blob_id TEXT NOT NULL" in schema["_mf_entries"]
    assert "_mf_entries_expiration_idx" in schema
    (g_key, g_blob, g_exp, g_meta), (p_key, p_blob, p_exp, p_meta) = rows(folder / KV_ID_FILE)
    assert (g_key, g_exp, g_meta) == ("greeting", (1_800_000_000 + 3600) * 1000, '{"lang":"en"}')
    assert (p_key, p_exp, p_meta) == ("plain", None, None)
    for blob in (g_blob, p_blob):
        assert re.fullmatch(r"[0-9a-f]{80}", blob)
    blobs = state / "v3" / "kv" / "kv-id" / "blobs"
    assert (blobs / g_blob).read_bytes() == b"hello"
    assert (blobs / p_blob).read_bytes() == b"\x00\xff"
    assert sorted(p.name for p in blobs.iterdir()) == sorted([g_blob, p_blob])  # no temporary files left


async def test_overwrite_and_delete_remove_old_blobs(tmp_path):
    state = tmp_path / "state"
    blobs = state / "v3" / "kv" / "kv-id" / "blobs"
    async with open_bindings("local", persist_to=state) as make:
        kv = await make("kv_namespace", {"id": "kv-id"})
        await kv.put("k", "one")
        (first,) = list(blobs.iterdir())
        await kv.put("k", "two")
        (second,) = list(blobs.iterdir())
        assert first.name != second.name
        assert second.read_bytes() == b"two"
        await kv.delete("k")
        assert list(blobs.iterdir()) == []


async def test_in_memory_mode_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    async with open_bindings("local") as make:
        kv = await make("kv_namespace", {"id": "kv-id"})
        await kv.put("k", "v")
        assert await kv.get("k") == "v"
        other = await make("kv_namespace", {"id": "kv-id"}, name="SAME_NS")
        assert await other.get("k") == "v"  # one namespace id, one state, whatever the binding name
        separate = await make("kv_namespace", {"id": "other-id"})
        assert await separate.get("k") is None
    assert list(tmp_path.iterdir()) == []


async def test_state_persists_across_contexts_and_caches_stay_coherent(tmp_path):
    state = tmp_path / "state"
    a_ctx = LocalContext(persist_to=state)
    b_ctx = LocalContext(persist_to=state)
    a = make_local("KV", SPEC, a_ctx)
    b = make_local("KV", SPEC, b_ctx)
    await a.put("k", "first")
    assert await b.get("k") == "first"  # b now holds "first" in its value cache
    await a.put("k", "second")
    assert await b.get("k") == "second"
    await a.delete("k")
    assert await b.get("k") is None
    await a_ctx.dispose()
    await b_ctx.dispose()
    c_ctx = LocalContext(persist_to=state)
    c = make_local("KV", SPEC, c_ctx)
    await c.put("again", "x")
    await c_ctx.dispose()
    d_ctx = LocalContext(persist_to=state)
    assert await make_local("KV", SPEC, d_ctx).get("again") == "x"
    await d_ctx.dispose()


async def test_dispose_closes_the_connection(tmp_path):
    ctx = LocalContext(persist_to=tmp_path / "state")
    kv = make_local("KV", SPEC, ctx)
    await kv.put("k", "v")
    await ctx.dispose()
    with pytest.raises(sqlite3.ProgrammingError):
        await kv.get("k")


async def test_default_persist_dir_is_the_project_wrangler_state(tmp_path):
    ctx = LocalContext(project_dir=tmp_path)
    kv = make_local("KV", SPEC, ctx)
    await kv.put("k", "v")
    await ctx.dispose()
    assert (tmp_path / ".wrangler" / "state" / "v3" / "kv" / "miniflare-KVNamespaceObject" / KV_ID_FILE).is_file()


async def test_binding_without_id_uses_its_name(tmp_path):
    ctx = LocalContext(persist_to=tmp_path)
    kv = make_local("MY_KV", {"type": "kv_namespace"}, ctx)
    await kv.put("k", "v")
    await ctx.dispose()
    assert (tmp_path / "v3" / "kv" / "MY_KV" / "blobs").is_dir()


def test_namespace_ids_that_are_not_folder_names_are_refused(tmp_path):
    ctx = LocalContext(persist_to=tmp_path)
    with pytest.raises(ValueError, match="cannot be used for local state"):
        make_local("KV", {"type": "kv_namespace", "id": "../escape"}, ctx)


@pytest.mark.parametrize(
    ("prefix", "upper"),
    [("", None), ("a", "b"), ("ab", "ac"), ("a\U0010ffff", "b"), ("\ud7ff", "\ue000"), ("\U0010ffff", None)],
)
def test_prefix_upper_bound(prefix, upper):
    assert prefix_upper_bound(prefix) == upper
