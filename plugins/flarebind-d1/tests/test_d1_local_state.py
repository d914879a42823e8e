"""The database is wrangler's file: its path, its tables, shared connections, in-memory isolation."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from flarebind.bindings.context import LocalContext
from flarebind.errors import JsException
from flarebind_d1.engine import format_bookmark
from flarebind_d1.local import database_path, make_local

SPEC = {"type": "d1", "database_id": "db-id"}
# the file wrangler 4.86 creates for database_id "db-id" (see wrangler-local-state.md)
WRANGLER_FILE = "56f9074391a3d15cc4acf868c81e948bd08a8f5fc071a43ebfbac72447fb343e.sqlite"


async def test_the_database_is_wranglers_file(tmp_path: Path):
    ctx = LocalContext(persist_to=tmp_path)
    db = make_local("DB", SPEC, ctx)
    await db.exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);")
    await db.prepare("INSERT INTO notes (body) VALUES (?)").bind("hello").run()
    await ctx.dispose()

    folder = tmp_path / "v3" / "d1" / "miniflare-D1DatabaseObject"
    assert database_path(tmp_path, "db-id") == folder / WRANGLER_FILE
    assert (folder / "metadata.sqlite").exists()
    conn = sqlite3.connect(folder / WRANGLER_FILE)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert conn.execute("SELECT body FROM notes").fetchall() == [("hello",)]
        sql = conn.execute("SELECT sql FROM sqlite_master WHERE name = '_cf_METADATA'").fetchone()[0]
        assert sql == "CREATE TABLE _cf_METADATA (\n        key INTEGER PRIMARY KEY,\n        value BLOB\n      )"
    finally:
        conn.close()


@pytest.mark.parametrize(
    ("spec", "expected_id"),
    [
        ({"type": "d1", "database_id": "main", "preview_database_id": "prev"}, "prev"),
        ({"type": "d1", "database_id": "main"}, "main"),
        ({"type": "d1", "database_name": "named"}, "DB"),
    ],
)
async def test_file_follows_wranglers_id_choice(tmp_path: Path, spec, expected_id):
    ctx = LocalContext(persist_to=tmp_path)
    db = make_local("DB", spec, ctx)
    await db.exec("CREATE TABLE t (a);")
    await ctx.dispose()
    assert database_path(tmp_path, expected_id).exists()


async def test_bindings_to_one_database_share_it_and_others_are_separate():
    ctx = LocalContext(in_memory=True)
    a = make_local("A", SPEC, ctx)
    b = make_local("B", SPEC, ctx)
    other = make_local("C", {"type": "d1", "database_id": "other"}, ctx)
    await a.exec("CREATE TABLE t (v);")
    await a.prepare("INSERT INTO t VALUES (1)").run()
    assert await b.prepare("SELECT v FROM t").first("v") == 1
    with pytest.raises(JsException, match="no such table: t"):
        await other.prepare("SELECT v FROM t").all()
    await ctx.dispose()


async def test_in_memory_writes_nothing_and_is_private(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    ctx1, ctx2 = LocalContext(in_memory=True), LocalContext(in_memory=True)
    db1, db2 = make_local("DB", SPEC, ctx1), make_local("DB", SPEC, ctx2)
    await db1.exec("CREATE TABLE t (v);")
    with pytest.raises(JsException, match="no such table"):
        await db2.prepare("SELECT * FROM t").all()
    await ctx1.dispose()
    await ctx2.dispose()
    assert list(tmp_path.iterdir()) == []


async def test_session_bookmarks_persist_in_cf_metadata_like_workerd(tmp_path: Path):
    ctx = LocalContext(persist_to=tmp_path)
    db = make_local("DB", SPEC, ctx)
    session = db.withSession()
    await session.prepare("SELECT 1").all()
    await session.prepare("SELECT 1").all()
    assert session.getBookmark() == format_bookmark(1)
    await ctx.dispose()

    # a new runtime continues after the stored value, so later bookmarks sort after earlier ones
    ctx = LocalContext(persist_to=tmp_path)
    session = make_local("DB", SPEC, ctx).withSession()
    await session.prepare("SELECT 1").all()
    assert session.getBookmark() == format_bookmark(2)
    await ctx.dispose()
    conn = sqlite3.connect(database_path(tmp_path, "db-id"))
    assert conn.execute("SELECT value FROM _cf_METADATA WHERE key = 2").fetchone() == (2,)
    conn.close()


def test_bookmark_format_matches_workerd():
    assert format_bookmark(0x20) == "00000000-00000020-00000000-00000000000000000000000000000000"
    assert format_bookmark(0xFFFFFFFF + 5) == "00000001-00000005-00000000-00000000000000000000000000000000"


async def test_meta_size_after_follows_the_file(tmp_path: Path):
    ctx = LocalContext(persist_to=tmp_path)
    db = make_local("DB", SPEC, ctx)
    await db.exec("CREATE TABLE big (v BLOB);")
    before = (await db.prepare("SELECT 1").run()).meta["size_after"]
    grown = (await db.prepare("INSERT INTO big VALUES (zeroblob(100000))").run()).meta
    assert grown["size_after"] > before + 90_000
    assert grown["changed_db"] is True
    dropped = (await db.prepare("DROP TABLE big").run()).meta
    assert dropped["changes"] == 0
    assert dropped["changed_db"] is True  # only the size tells: freed pages no longer count
    assert dropped["size_after"] < grown["size_after"]
    await ctx.dispose()


async def test_batch_reports_the_size_after_the_batch(tmp_path: Path):
    ctx = LocalContext(persist_to=tmp_path)
    db = make_local("DB", SPEC, ctx)
    await db.exec("CREATE TABLE big (v BLOB);")
    insert = db.prepare("INSERT INTO big VALUES (zeroblob(50000))")
    results = await db.batch([insert, insert, db.prepare("SELECT count(*) AS c FROM big")])
    sizes = {r.meta["size_after"] for r in results}
    assert len(sizes) == 1 and sizes.pop() > 90_000
    assert [r.meta["changed_db"] for r in results] == [True, True, False]
    await ctx.dispose()


async def test_threads_never_mix_into_each_others_batches(tmp_path: Path):
    import asyncio
    import threading

    ctx = LocalContext(persist_to=tmp_path)
    db = make_local("DB", SPEC, ctx)
    await db.exec("CREATE TABLE t (v TEXT UNIQUE);")
    errors: list[str] = []

    def worker(prefix: str) -> None:
        async def go() -> None:
            for i in range(200):
                if i % 20 == 0:
                    # a failing batch rolls back only its own statements
                    try:
                        await db.batch(
                            [
                                db.prepare("INSERT INTO t VALUES (?)").bind(f"{prefix}x{i}"),
                                db.prepare("INSERT INTO nope VALUES (1)"),
                            ]
                        )
                    except JsException:
                        pass
                await db.prepare("INSERT INTO t VALUES (?)").bind(f"{prefix}{i}").run()

        try:
            asyncio.run(go())
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(repr(exc))

    threads = [threading.Thread(target=worker, args=(p,)) for p in "ab"]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert await db.prepare("SELECT count(*) AS c FROM t").first("c") == 400
    assert await db.prepare("SELECT count(*) AS c FROM t WHERE v LIKE '%x%'").first("c") == 0
    await ctx.dispose()


async def test_a_binding_used_after_dispose_fails_cleanly():
    ctx = LocalContext(in_memory=True)
    db = make_local("DB", SPEC, ctx)
    await ctx.dispose()
    with pytest.raises(JsException, match=r"^D1_ERROR: Cannot operate on a closed database"):
        await db.prepare("SELECT 1").all()
