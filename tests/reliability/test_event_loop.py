"""Slow SQLite work and other processes' locks must not freeze the event loop (issue 20, item 4).

Deterministic by construction: each test starts the blocked operation, then shows that *other* work on the same
event loop completes while it is still pending, and only then lets it finish. No timing assertions.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from flarebind.errors import JsException
from flarebind.testing.bindings import open_bindings

# ~3M rows: long enough (hundreds of ms) to still be running while a point query elsewhere completes
SLOW_SQL = (
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3000000) SELECT count(*) AS n FROM c"
)

HOLDER = textwrap.dedent(
    """
    import sqlite3, sys
    conn = sqlite3.connect(sys.argv[1], isolation_level=None)
    conn.execute("BEGIN EXCLUSIVE")
    print("locked", flush=True)
    sys.stdin.readline()
    conn.execute("ROLLBACK")
    """
)


class LockHolder:
    """Another process holding the write lock of a SQLite file, as `wrangler d1 execute --local` does."""

    def __init__(self, path: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", HOLDER, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert self.proc.stdout is not None and self.proc.stdout.readline().strip() == "locked"

    def release(self) -> None:
        if self.proc.poll() is None:
            assert self.proc.stdin is not None
            self.proc.stdin.write("\n")
            self.proc.stdin.flush()
            self.proc.wait(30)


async def _loop_is_free(pending: asyncio.Task, work) -> None:
    """Run ``work`` to completion on this loop while ``pending`` is still not done."""
    for _ in range(5):
        await asyncio.sleep(0)
    assert not pending.done()
    await work()
    assert not pending.done(), "the blocked operation finished before the loop was shown to be free"


async def test_slow_d1_query_runs_off_the_loop(tmp_path):
    async with open_bindings("local", persist_to=tmp_path) as make:
        slow_db = await make("d1", {"database_id": "slow"}, "SLOW")
        other_db = await make("d1", {"database_id": "other"}, "OTHER")
        kv = await make("kv_namespace", {"id": "kv"}, "KV")
        await kv.put("k", "v")
        slow = asyncio.ensure_future(slow_db.prepare(SLOW_SQL).first("n"))

        async def other_work():
            assert await other_db.prepare("SELECT 41 + 1 AS v").first("v") == 42
            assert await kv.get("k") == "v"

        await _loop_is_free(slow, other_work)
        assert await slow == 3_000_000
        # the database keeps working normally afterwards, on the loop
        assert await slow_db.prepare("SELECT 1 AS one").first("one") == 1


async def test_d1_waits_for_another_processes_lock_off_the_loop(tmp_path):
    from flarebind_d1.local import database_path

    async with open_bindings("local", persist_to=tmp_path) as make:
        db = await make("d1", {"database_id": "locked"}, "DB")
        other_db = await make("d1", {"database_id": "other"}, "OTHER")
        await db.exec("CREATE TABLE t (v INTEGER)")
        holder = LockHolder(database_path(tmp_path, "locked"))
        try:
            insert = asyncio.ensure_future(db.prepare("INSERT INTO t VALUES (?)").bind(1).run())
            batch = asyncio.ensure_future(db.batch([db.prepare("INSERT INTO t VALUES (2)")]))

            async def other_work():
                assert await other_db.prepare("SELECT 1 AS one").first("one") == 1

            await _loop_is_free(insert, other_work)
            assert not batch.done()
        finally:
            holder.release()
        assert (await insert)["success"] and (await batch)[0]["success"]
        assert await db.prepare("SELECT count(*) AS n FROM t").first("n") == 2


async def test_kv_put_waits_for_another_processes_lock_off_the_loop(tmp_path):
    from flarebind_kv.store import namespace_paths

    async with open_bindings("local", persist_to=tmp_path) as make:
        kv = await make("kv_namespace", {"id": "locked"}, "KV")
        other = await make("kv_namespace", {"id": "other"}, "OTHER")
        await kv.put("before", "1")
        await other.put("k", "v")
        db_path, _ = namespace_paths(tmp_path / "v3" / "kv", "locked")
        holder = LockHolder(db_path)
        try:
            put = asyncio.ensure_future(kv.put("during", "2"))
            delete = asyncio.ensure_future(kv.delete("before"))

            async def other_work():
                assert await other.get("k") == "v"
                await other.put("k2", "v2")

            await _loop_is_free(put, other_work)
            assert not delete.done()
        finally:
            holder.release()
        await put
        await delete
        assert await kv.get("during") == "2" and await kv.get("before") is None


async def test_d1_query_time_limit_interrupts_with_the_documented_text(tmp_path, monkeypatch):
    from flarebind_d1 import engine

    monkeypatch.setattr(engine, "QUERY_TIME_LIMIT_S", 0.2)  # D1's limit is 30 s; the mechanism is the same
    async with open_bindings("local", persist_to=tmp_path) as make:
        db = await make("d1", {"database_id": "limit"}, "DB")
        endless = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"
        with pytest.raises(JsException) as info:
            await db.prepare(endless).all()
        assert str(info.value) == "D1_ERROR: D1 DB exceeded its CPU time limit and was reset."
        with pytest.raises(JsException) as info:
            await db.batch([db.prepare("CREATE TABLE t (v)"), db.prepare(endless)])
        assert str(info.value) == "D1_ERROR: D1 DB exceeded its CPU time limit and was reset."
        # the batch was rolled back, and the database still answers
        assert await db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 't'").first("n") == 0


async def test_a_committed_write_is_never_run_twice(tmp_path, monkeypatch):
    """An attempt on the loop that runs past its budget *after* its write committed must not be re-run."""
    import time

    from flarebind_d1 import engine

    monkeypatch.setattr(engine, "PROGRESS_STEPS", 1)  # check the budget at every step
    original = engine.D1Engine.database_size

    def slow_size(self, inserted_only=False):
        time.sleep(engine.LOOP_BUDGET_S * 2)  # the bookkeeping after the INSERT starts past the loop budget
        return original(self, inserted_only)

    async with open_bindings("local", persist_to=tmp_path) as make:
        db = await make("d1", {"database_id": "once"}, "DB")
        await db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
        monkeypatch.setattr(engine.D1Engine, "database_size", slow_size)
        for i in range(3):
            result = await db.prepare("INSERT INTO t VALUES (?, ?)").bind(i, "x").run()
            assert result["meta"]["changes"] == 1
        await db.batch([db.prepare("INSERT INTO t VALUES (?, ?)").bind(10 + i, "y") for i in range(3)])
        monkeypatch.setattr(engine.D1Engine, "database_size", original)
        assert await db.prepare("SELECT count(*) AS n FROM t").first("n") == 6


@pytest.mark.parametrize("budget", [0.0, 0.00002, 0.0001])
async def test_writes_interrupted_anywhere_take_effect_exactly_once(tmp_path, monkeypatch, budget):
    """Budgets so small that attempts on the loop are interrupted at every possible point, including after a
    statement completed (SQLite reports SQLITE_INTERRUPT on return too): every write still lands exactly once."""
    from flarebind_d1 import engine

    monkeypatch.setattr(engine, "PROGRESS_STEPS", 1)
    monkeypatch.setattr(engine, "LOOP_BUDGET_S", budget)
    async with open_bindings("local", persist_to=tmp_path) as make:
        db = await make("d1", {"database_id": "once"}, "DB")
        await db.prepare("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL)").run()
        n = 0
        for _ in range(60):
            await db.prepare(f"INSERT INTO items VALUES ({n}, 'a'); INSERT INTO items VALUES ({n + 1}, 'b')").run()
            n += 2
            await db.batch([db.prepare("INSERT INTO items VALUES (?, 'c')").bind(i) for i in (n, n + 1)])
            n += 2
            returned = await db.prepare("INSERT INTO items VALUES (?, 'e') RETURNING id").bind(n).all()
            assert returned["results"][0]["id"] == n
            n += 1
            await db.prepare("UPDATE items SET name = name || 'x' WHERE id = ?").bind(n - 1).run()
        got = await db.prepare("SELECT count(*) AS c, sum(length(name)) AS l FROM items").first()
        assert (got["c"], got["l"]) == (n, n + 60)
