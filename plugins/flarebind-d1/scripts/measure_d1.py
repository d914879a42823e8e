"""Ad-hoc measurement (not the benchmark): the D1 binding vs the same work on raw sqlite3, best of R alternating
rounds so a busy machine hurts both sides alike. Usage: python plugins/flarebind-d1/scripts/measure_d1.py [N] [R]
"""
import asyncio, sys, tempfile, time
from pathlib import Path
from flarebind.bindings.context import LocalContext
from flarebind.storage import connect
from flarebind_d1.local import make_local

N = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
R = int(sys.argv[2]) if len(sys.argv) > 2 else 5
B = 100

def raw_ops(conn):
    state = {"i": 0}
    def insert():
        for i in range(N):
            conn.execute("INSERT INTO t (name, n) VALUES (?, ?)", (f"n{i}", i)).fetchall()
    def select():
        for i in range(N):
            cur = conn.execute("SELECT * FROM t WHERE id = ?", (i % 1000 + 1,)); cur.fetchall(); cur.description
    def batch():
        for j in range(N // B):
            conn.execute("BEGIN IMMEDIATE")
            for i in range(B):
                conn.execute("INSERT INTO t (name, n) VALUES (?, ?)", (f"b{i}", i)).fetchall()
            conn.execute("COMMIT")
    return {"insert": insert, "select": select, "batch": batch}

def our_ops(db, loop):
    ins = db.prepare("INSERT INTO t (name, n) VALUES (?, ?)")
    sel = db.prepare("SELECT * FROM t WHERE id = ?")
    async def insert():
        for i in range(N):
            await ins.bind(f"n{i}", i).run()
    async def select():
        for i in range(N):
            await sel.bind(i % 1000 + 1).first()
    async def batch():
        for j in range(N // B):
            await db.batch([ins.bind(f"b{i}", i) for i in range(B)])
    return {k: (lambda f=f: loop.run_until_complete(f())) for k, f in {"insert": insert, "select": select, "batch": batch}.items()}

for mode in ("disk", "memory"):
    with tempfile.TemporaryDirectory() as d:
        loop = asyncio.new_event_loop()
        conn = connect(None if mode == "memory" else Path(d) / "raw.sqlite")
        conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, n INTEGER)")
        ctx = LocalContext(in_memory=mode == "memory", persist_to=None if mode == "memory" else Path(d) / "state")
        db = make_local("DB", {"type": "d1", "database_id": "bench"}, ctx)
        loop.run_until_complete(db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, n INTEGER)"))
        raw, ours = raw_ops(conn), our_ops(db, loop)
        for op in ("insert", "select", "batch"):
            best = {"raw": 0.0, "ours": 0.0}
            for r in range(R):
                for label, fn in (("raw", raw[op]), ("ours", ours[op])):
                    t = time.perf_counter(); fn(); rate = N / (time.perf_counter() - t)
                    best[label] = max(best[label], rate)
            print(f"{mode:6} {op:7} raw {best['raw']:9.0f}/s  flarebind {best['ours']:9.0f}/s  {best['ours'] / best['raw']:5.0%}", flush=True)
        loop.run_until_complete(ctx.dispose()); loop.close(); conn.close()
