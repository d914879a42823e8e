"""Expiry is enforced on read and list, with time from the injected clock."""

from __future__ import annotations

import sqlite3

from flarebind.storage import durable_object_file_name
from flarebind.testing.bindings import open_bindings


async def test_expiration_ttl_expires_on_get_and_list(kv, clock):
    await kv.put("short", "v", expirationTtl=60, metadata={"m": 1})
    await kv.put("forever", "v")
    start = int(clock.now)
    listed = (await kv.list())["keys"]
    assert listed == [{"name": "forever"}, {"name": "short", "expiration": start + 60, "metadata": {"m": 1}}]
    clock.advance(59.9)
    assert await kv.get("short") == "v"
    clock.advance(0.1)  # exactly at the expiration instant the entry is gone
    assert await kv.get("short") is None
    assert await kv.get("short", "arrayBuffer") is None
    assert await kv.get("short", "stream") is None
    assert (await kv.getWithMetadata("short"))["value"] is None
    assert dict(await kv.get(["short", "forever"])) == {"short": None, "forever": "v"}
    assert [k["name"] for k in (await kv.list())["keys"]] == ["forever"]


async def test_absolute_expiration(kv, clock):
    now = int(clock.now)
    await kv.put("k", "v", expiration=now + 120)
    assert (await kv.list())["keys"] == [{"name": "k", "expiration": now + 120}]
    clock.advance(119)
    assert await kv.get("k") == "v"
    clock.advance(1)
    assert await kv.get("k") is None
    assert (await kv.list())["keys"] == []


async def test_expiration_validation_uses_the_injected_clock(kv, clock):
    now = int(clock.now)
    # valid relative to the fake clock, far in the past for the real one
    await kv.put("k", "v", expiration=now + 60)
    assert await kv.get("k") == "v"


async def test_overwrite_clears_expiration(kv, clock):
    await kv.put("k", "v1", expirationTtl=60)
    await kv.put("k", "v2")
    clock.advance(3600)
    assert await kv.get("k") == "v2"
    assert (await kv.list())["keys"] == [{"name": "k"}]


async def test_expired_entries_are_removed_from_disk(tmp_path, clock):
    state = tmp_path / "state"
    async with open_bindings("local", persist_to=state, clock=clock) as make:
        kv = await make("kv_namespace", {"id": "exp"})
        await kv.put("a", "x" * 10, expirationTtl=60)
        await kv.put("b", "y" * 10, expirationTtl=60)
        await kv.put("c", "z")
        blobs = state / "v3" / "kv" / "exp" / "blobs"
        assert len(list(blobs.iterdir())) == 3
        clock.advance(61)
        assert await kv.get("a") is None  # a read drops the expired row and its blob
        assert len(list(blobs.iterdir())) == 2
        await kv.list()  # a list purges every expired row
        assert len(list(blobs.iterdir())) == 1
    db = (
        state
        / "v3"
        / "kv"
        / "miniflare-KVNamespaceObject"
        / durable_object_file_name("miniflare-KVNamespaceObject", "exp")
    )
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT key FROM _mf_entries").fetchall() == [("c",)]


async def test_list_pages_skip_expired_keys(kv, clock):
    for i in range(6):
        await kv.put(f"k{i}", "v", expirationTtl=60 if i % 2 else 3600)
    clock.advance(120)
    page = await kv.list(limit=2)
    assert [k["name"] for k in page["keys"]] == ["k0", "k2"]
    assert page["list_complete"] is False
    page = await kv.list(limit=2, cursor=page["cursor"])
    assert [k["name"] for k in page["keys"]] == ["k4"]
    assert page["list_complete"] is True
