"""D1: single-row INSERTs, point SELECTs by primary key and one batch of 2000 INSERTs through the binding (issue 5).

flarebind: ``db.prepare(sql).bind(...).run()`` / ``.first()`` / ``db.batch([...])`` against the binding from
``open_bindings("local", ...)`` in a child process. Miniflare: the same calls inside one Worker request per phase.
sqlite3: the same statements on the same table (autocommit per statement; the batch in one transaction).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from bench.harness import (
    FLAREBIND,
    MINIFLARE,
    SQLITE3,
    MetricDef,
    Side,
    Skip,
    Target,
    Workload,
    module_missing,
    run_python_child,
)
from bench.workloads.common import Timer, cpu_us_per_op, miniflare_phases, rate, side_target

CREATE = "CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, name TEXT, value REAL)"
INSERT = "INSERT INTO items (id, name, value) VALUES (?, ?, ?)"
SELECT = "SELECT id, name, value FROM items WHERE id = ?"
BATCH_START = 1_000_000

METRICS = [
    MetricDef("insert", "single-row INSERT (prepare/bind/run)", "ops/s"),
    MetricDef("select", "point SELECT by primary key (first)", "ops/s"),
    MetricDef("batch", "one batch() of 2000 INSERTs", "rows/s"),
    MetricDef("insert_cpu", "CPU time per single-row INSERT (all processes)", "µs", higher_is_better=False),
    MetricDef("select_cpu", "CPU time per point SELECT (all processes)", "µs", higher_is_better=False),
]


def params(quick: bool) -> dict[str, Any]:
    return {"n": 200 if quick else 2000, "batch": 200 if quick else 2000}


async def flarebind_child(p: dict[str, Any]) -> dict[str, Any]:
    missing = module_missing("flarebind_d1.local:make_local")
    if missing:
        raise Skip(missing)
    from flarebind.testing.bindings import open_bindings

    n = p["n"]
    persist = Path(p["persist"]) if p.get("persist") else None
    out: dict[str, Any] = {}
    async with open_bindings("local", persist_to=persist) as make:
        db = await make("d1", {"database_id": "bench-db", "database_name": "bench"}, "DB")
        await db.prepare(CREATE).run()
        stmt = db.prepare(INSERT)
        with Timer() as t:
            for i in range(n):
                await stmt.bind(i, f"name-{i}", i * 0.5).run()
        out["insert"], out["insert_cpu"] = rate(n, t.seconds), t.cpu_seconds * 1e6 / n
        stmt = db.prepare(SELECT)
        found = 0
        with Timer() as t:
            for i in range(n):
                if await stmt.bind(i).first() is not None:
                    found += 1
        if found != n:
            raise RuntimeError(f"point selects found {found} of {n} rows")
        out["select"], out["select_cpu"] = rate(n, t.seconds), t.cpu_seconds * 1e6 / n
        stmt = db.prepare(INSERT)
        stmts = [stmt.bind(BATCH_START + i, f"batch-{i}", i * 0.25) for i in range(p["batch"])]
        with Timer() as t:
            results = await db.batch(stmts)
        if len(results) != p["batch"]:
            raise RuntimeError(f"batch returned {len(results)} results for {p['batch']} statements")
        out["batch"] = rate(p["batch"], t.seconds)
    return out


def run_flarebind(variant: str, p: dict[str, Any], workdir: Path) -> dict[str, Any]:
    persist = str(workdir / "state") if variant == "disk" else None
    return run_python_child("bench.workloads.d1:flarebind_child", {**p, "persist": persist})


def run_miniflare(variant: str, p: dict[str, Any], workdir: Path) -> dict[str, Any]:
    n = p["n"]
    ph = miniflare_phases(
        variant,
        workdir,
        [
            {"route": "d1_setup"},
            {"route": "d1_insert", "q": {"n": n, "start": 0}},
            {"route": "d1_select", "q": {"n": n, "start": 0, "rows": n}},
            {"route": "d1_batch", "q": {"n": p["batch"], "start": BATCH_START}},
        ],
    )
    if ph["d1_select"]["count"] != n or ph["d1_batch"]["count"] != p["batch"]:
        raise RuntimeError("Miniflare D1 phases returned the wrong counts")
    return {
        "insert": rate(n, ph["d1_insert"]["wall_ms"] / 1000),
        "select": rate(n, ph["d1_select"]["wall_ms"] / 1000),
        "batch": rate(p["batch"], ph["d1_batch"]["wall_ms"] / 1000),
        "insert_cpu": cpu_us_per_op(ph["d1_insert"], n),
        "select_cpu": cpu_us_per_op(ph["d1_select"], n),
    }


def sqlite_child(p: dict[str, Any]) -> dict[str, Any]:
    n = p["n"]
    if p.get("path"):
        conn = sqlite3.connect(p["path"], isolation_level=None)
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
    else:
        conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.execute(CREATE)
    out: dict[str, Any] = {}
    with Timer() as t:
        for i in range(n):
            conn.execute(INSERT, (i, f"name-{i}", i * 0.5))
    out["insert"], out["insert_cpu"] = rate(n, t.seconds), t.cpu_seconds * 1e6 / n
    with Timer() as t:
        for i in range(n):
            conn.execute(SELECT, (i,)).fetchone()
    out["select"], out["select_cpu"] = rate(n, t.seconds), t.cpu_seconds * 1e6 / n
    with Timer() as t:
        conn.execute("BEGIN")
        for i in range(p["batch"]):
            conn.execute(INSERT, (BATCH_START + i, f"batch-{i}", i * 0.25))
        conn.execute("COMMIT")
    out["batch"] = rate(p["batch"], t.seconds)
    conn.close()
    return out


def run_sqlite(variant: str, p: dict[str, Any], workdir: Path) -> dict[str, Any]:
    path = str(workdir / "d1.sqlite") if variant == "disk" else None
    return run_python_child("bench.workloads.d1:sqlite_child", {**p, "path": path})


WORKLOAD = Workload(
    name="d1",
    title="D1",
    description="2000 single-row INSERTs, 2000 point SELECTs by primary key, and one batch of 2000 INSERTs, "
    "on disk and in memory.",
    metrics=METRICS,
    sides=[Side(FLAREBIND, run_flarebind), Side(MINIFLARE, run_miniflare), Side(SQLITE3, run_sqlite)],
    variants=lambda quick: ["disk", "memory"],
    params=params,
    requires=lambda: module_missing("flarebind_d1.local:make_local"),
    targets=[
        Target("single statements ≥ 20× Miniflare", side_target(MINIFLARE, ("insert", "select"), 20)),
        Target("batches ≥ 2× Miniflare", side_target(MINIFLARE, ("batch",), 2)),
        Target("≥ 40% of raw sqlite3", side_target(SQLITE3, ("insert", "select", "batch"), 0.4, percent=True)),
    ],
    notes=[
        "sqlite3 ceiling: Python's sqlite3 module, same table and statements, WAL and synchronous=NORMAL on disk.",
        "CPU per op: flarebind's whole process (time.process_time); Miniflare's Node process plus workerd (/proc).",
    ],
)
