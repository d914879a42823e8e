"""Ad-hoc measurement (not the benchmark, which lives in bench/): the D1 binding against the same work on raw
sqlite3, best of R alternating rounds so that a busy machine hurts both sides alike.

Usage: python plugins/flarebind-d1/scripts/measure_d1.py [N ops per round, default 5000] [R rounds, default 5]
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

from flarebind.bindings.context import LocalContext
from flarebind.storage import connect
from flarebind_d1.local import make_local

N = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
R = int(sys.argv[2]) if len(sys.argv) > 2 else 5
B = 100  # statements per batch
SCHEMA = "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, n INTEGER)"
INSERT = "INSERT INTO t (name, n) VALUES (?, ?)"
SELECT = "SELECT * FROM t WHERE id = ?"


def raw_ops(conn):
    def insert():
        for i in range(N):
            conn.execute(INSERT, (f"n{i}", i)).fetchall()

    def select():
        for i in range(N):
            cur = conn.execute(SELECT, (i % 1000 + 1,))
            cur.fetchall()
            _ = cur.description

    def batch():
        for _ in range(N // B):
            conn.execute("BEGIN IMMEDIATE")
            for i in range(B):
                conn.execute(INSERT, (f"b{i}", i)).fetchall()
            conn.execute("COMMIT")

    return {"insert": insert, "select": select, "batch": batch}


def binding_ops(db, loop):
    ins = db.prepare(INSERT)
    sel = db.prepare(SELECT)

    async def insert():
        for i in range(N):
            await ins.bind(f"n{i}", i).run()

    async def select():
        for i in range(N):
            await sel.bind(i % 1000 + 1).first()

    async def batch():
        for _ in range(N // B):
            await db.batch([ins.bind(f"b{i}", i) for i in range(B)])

    ops = {"insert": insert, "select": select, "batch": batch}
    return {name: (lambda fn=fn: loop.run_until_complete(fn())) for name, fn in ops.items()}


def main() -> None:
    for mode in ("disk", "memory"):
        with tempfile.TemporaryDirectory() as d:
            loop = asyncio.new_event_loop()
            conn = connect(None if mode == "memory" else Path(d) / "raw.sqlite")
            conn.execute(SCHEMA)
            ctx = LocalContext(in_memory=mode == "memory", persist_to=None if mode == "memory" else Path(d) / "s")
            db = make_local("DB", {"type": "d1", "database_id": "measure"}, ctx)
            loop.run_until_complete(db.exec(SCHEMA))
            raw, ours = raw_ops(conn), binding_ops(db, loop)
            for op in ("insert", "select", "batch"):
                best = {"raw": 0.0, "flarebind": 0.0}
                for _ in range(R):
                    for label, fn in (("raw", raw[op]), ("flarebind", ours[op])):
                        started = time.perf_counter()
                        fn()
                        best[label] = max(best[label], N / (time.perf_counter() - started))
                ratio = best["flarebind"] / best["raw"]
                raw_rate, our_rate = best["raw"], best["flarebind"]
                print(f"{mode:6} {op:7} raw sqlite3 {raw_rate:9.0f}/s  binding {our_rate:9.0f}/s  {ratio:4.0%}")
            loop.run_until_complete(ctx.dispose())
            loop.close()
            conn.close()


if __name__ == "__main__":
    main()
