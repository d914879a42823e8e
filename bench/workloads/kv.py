"""KV: put / get / list / bulk get through the binding object, on disk and in memory (issue 3).

flarebind: Worker-style code (``await env.KV.put(...)``) against the binding built by
``open_bindings("local", persist_to=...)`` in a child process. Miniflare: the same operations inside a Worker,
each phase ONE ``dispatchFetch`` whose handler loops over ``env.KV``. sqlite3: the equivalent SQL statements on
one table (value inline, same WAL/synchronous settings as flarebind's storage), the ceiling.
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
from bench.workloads.common import Timer, cpu_us_per_op, filler, key, miniflare_phases, rate, side_target

METRICS = [
    MetricDef("put", "put, 100 B values", "ops/s"),
    MetricDef("get", "get (text)", "ops/s"),
    MetricDef("list", "list, pages of 1000", "keys/s"),
    MetricDef("bulk_get", "bulk get, 100 keys per call", "keys/s"),
    MetricDef("put_cpu", "CPU time per put (all processes)", "µs", higher_is_better=False),
    MetricDef("get_cpu", "CPU time per get (all processes)", "µs", higher_is_better=False),
]


def params(quick: bool) -> dict[str, Any]:
    return {"n": 200 if quick else 2000, "size": 100}


# ---- flarebind (runs in a child process) ----


async def flarebind_child(p: dict[str, Any]) -> dict[str, Any]:
    missing = module_missing("flarebind_kv.local:make_local")
    if missing:
        raise Skip(missing)
    from flarebind.testing.bindings import open_bindings

    n, value = p["n"], filler(p["size"]).decode()
    persist = Path(p["persist"]) if p.get("persist") else None
    out: dict[str, Any] = {}
    async with open_bindings("local", persist_to=persist) as make:
        kv = await make("kv_namespace", {"id": "bench-kv"}, "KV")
        with Timer() as t:
            for i in range(n):
                await kv.put(key(i), value)
        out["put"], out["put_cpu"] = rate(n, t.seconds), t.cpu_seconds * 1e6 / n
        found = 0
        with Timer() as t:
            for i in range(n):
                if await kv.get(key(i)) is not None:
                    found += 1
        if found != n:
            raise RuntimeError(f"get found {found} of {n} keys")
        out["get"], out["get_cpu"] = rate(n, t.seconds), t.cpu_seconds * 1e6 / n
        listed, cursor = 0, None
        with Timer() as t:
            while True:
                page = await kv.list(limit=1000, cursor=cursor) if cursor else await kv.list(limit=1000)
                listed += len(page["keys"])
                if page["list_complete"]:
                    break
                cursor = page["cursor"]
        if listed != n:
            raise RuntimeError(f"list returned {listed} of {n} keys")
        out["list"] = rate(listed, t.seconds)
        found = 0
        with Timer() as t:
            for start in range(0, n, 100):
                values = await kv.get([key(i) for i in range(start, min(n, start + 100))])
                found += sum(1 for v in values.values() if v is not None)
        if found != n:
            raise RuntimeError(f"bulk get found {found} of {n} keys")
        out["bulk_get"] = rate(n, t.seconds)
    return out


def run_flarebind(variant: str, p: dict[str, Any], workdir: Path) -> dict[str, Any]:
    persist = str(workdir / "state") if variant == "disk" else None
    return run_python_child("bench.workloads.kv:flarebind_child", {**p, "persist": persist})


# ---- Miniflare ----


def run_miniflare(variant: str, p: dict[str, Any], workdir: Path) -> dict[str, Any]:
    n = p["n"]
    ph = miniflare_phases(
        variant,
        workdir,
        [
            {"route": "kv_put", "q": {"n": n, "size": p["size"]}},
            {"route": "kv_get", "q": {"n": n}},
            {"route": "kv_list"},
            {"route": "kv_bulk_get", "q": {"n": n}},
        ],
    )
    for route in ("kv_get", "kv_list", "kv_bulk_get"):
        if ph[route]["count"] != n:
            raise RuntimeError(f"Miniflare {route} saw {ph[route]['count']} of {n} keys")
    return {
        "put": rate(n, ph["kv_put"]["wall_ms"] / 1000),
        "get": rate(n, ph["kv_get"]["wall_ms"] / 1000),
        "list": rate(n, ph["kv_list"]["wall_ms"] / 1000),
        "bulk_get": rate(n, ph["kv_bulk_get"]["wall_ms"] / 1000),
        "put_cpu": cpu_us_per_op(ph["kv_put"], n),
        "get_cpu": cpu_us_per_op(ph["kv_get"], n),
    }


# ---- raw sqlite3, the ceiling ----


def sqlite_child(p: dict[str, Any]) -> dict[str, Any]:
    n, value = p["n"], filler(p["size"])
    if p.get("path"):
        conn = sqlite3.connect(p["path"], isolation_level=None)
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
    else:
        conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.execute("CREATE TABLE entries (key TEXT PRIMARY KEY, value BLOB NOT NULL, expiration INTEGER, metadata TEXT)")
    out: dict[str, Any] = {}
    with Timer() as t:
        for i in range(n):
            conn.execute(
                "INSERT OR REPLACE INTO entries (key, value, expiration, metadata) VALUES (?, ?, NULL, NULL)",
                (key(i), value),
            )
    out["put"], out["put_cpu"] = rate(n, t.seconds), t.cpu_seconds * 1e6 / n
    with Timer() as t:
        for i in range(n):
            conn.execute("SELECT value, expiration, metadata FROM entries WHERE key = ?", (key(i),)).fetchone()
    out["get"], out["get_cpu"] = rate(n, t.seconds), t.cpu_seconds * 1e6 / n
    listed, after = 0, ""
    with Timer() as t:
        while True:
            rows = conn.execute(
                "SELECT key, expiration, metadata FROM entries WHERE key > ? ORDER BY key LIMIT 1001", (after,)
            ).fetchall()
            page = rows[:1000]
            listed += len(page)
            if len(rows) <= 1000:
                break
            after = page[-1][0]
    out["list"] = rate(listed, t.seconds)
    with Timer() as t:
        for start in range(0, n, 100):
            keys = [key(i) for i in range(start, min(n, start + 100))]
            conn.execute(f"SELECT key, value FROM entries WHERE key IN ({','.join('?' * len(keys))})", keys).fetchall()
    out["bulk_get"] = rate(n, t.seconds)
    conn.close()
    return out


def run_sqlite(variant: str, p: dict[str, Any], workdir: Path) -> dict[str, Any]:
    path = str(workdir / "kv.sqlite") if variant == "disk" else None
    return run_python_child("bench.workloads.kv:sqlite_child", {**p, "path": path})


WORKLOAD = Workload(
    name="kv",
    title="Workers KV",
    description="2000 keys of 100 B: sequential puts, gets, a full list in pages of 1000, bulk gets of 100 keys; "
    "through the binding object (flarebind) and inside one Worker request (Miniflare).",
    metrics=METRICS,
    sides=[Side(FLAREBIND, run_flarebind), Side(MINIFLARE, run_miniflare), Side(SQLITE3, run_sqlite)],
    variants=lambda quick: ["disk", "memory"],
    params=params,
    requires=lambda: module_missing("flarebind_kv.local:make_local"),
    targets=[
        Target("put ≥ 20× Miniflare's in-Worker put", side_target(MINIFLARE, ("put",), 20)),
        Target("get ≥ 20× Miniflare's in-Worker get", side_target(MINIFLARE, ("get",), 20)),
        Target("put and get ≥ 40% of raw sqlite3", side_target(SQLITE3, ("put", "get"), 0.4, percent=True)),
    ],
    notes=[
        "sqlite3 ceiling: one table, value stored inline in the row, same PRAGMAs as flarebind's storage "
        "(WAL, synchronous=NORMAL, autocommit); it writes no blob files, which the Miniflare layout requires.",
        "Miniflare's 'memory' mode is a temporary folder on the same disk (see the Miniflare anchor).",
        "CPU per op: flarebind's whole process (user+system, time.process_time); Miniflare's Node process plus its "
        "workerd child (user+system from /proc, 10 ms ticks over the phase). Less sensitive than wall time to other "
        "load on the machine.",
    ],
)
