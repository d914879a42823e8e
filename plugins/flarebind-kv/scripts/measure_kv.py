"""Ad-hoc throughput check of the local KV binding against raw sqlite3 doing the equivalent statements.

Not the project benchmark (that is ``nox -s bench -- kv``); a quick, dependency-free measurement for development:

    .venv/bin/python plugins/flarebind-kv/scripts/measure_kv.py [N] [--dir DIR]

For each of disk (a fresh temp dir, WAL, synchronous=NORMAL) and memory it times, in one process:
- binding: ``await kv.put(k, 100 B)`` N times, ``await kv.get(k)`` N times (and, on disk, again from a fresh
  context whose value cache is empty: "get (cold)"), ``await kv.list()`` pages of 1000 keys;
- raw sqlite3: the same rows in the same ``_mf_entries`` table with the statements a KV op needs
  (put: ``INSERT OR REPLACE`` autocommit; get: ``SELECT blob_id, expiration, metadata``; list: the page query).
The raw side writes no value files: it is the SQL ceiling, so the ratio is conservative for put. On disk it also
runs "raw sqlite3 + value files" (the same statements plus one file per value, as wrangler's layout needs).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import shutil
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from flarebind.bindings.context import LocalContext
from flarebind_kv.local import make_local
from flarebind_kv.store import SCHEMA

VALUE = "v" * 100
MINIFLARE = {"put": 536, "get": 1662}  # ops/s in-Worker, reference/miniflare-anchor.md (disk)


def rate(n: int, seconds: float) -> float:
    return n / seconds if seconds else float("inf")


def raw_sqlite(path: str | None, n: int, list_pages: int) -> dict[str, float]:
    if path is None:
        conn = sqlite3.connect(":memory:", isolation_level=None)
    else:
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
    conn.executescript(SCHEMA)
    keys = [f"key-{i:08d}" for i in range(n)]
    blob_ids = [secrets.token_hex(40) for _ in range(n)]
    t = time.perf_counter()
    for k, b in zip(keys, blob_ids, strict=True):
        conn.execute(
            "INSERT OR REPLACE INTO _mf_entries (key, blob_id, expiration, metadata) VALUES (?, ?, ?, ?)",
            (k, b, None, None),
        )
    put = rate(n, time.perf_counter() - t)
    t = time.perf_counter()
    for k in keys:
        conn.execute("SELECT blob_id, expiration, metadata FROM _mf_entries WHERE key = ?", (k,)).fetchone()
    get = rate(n, time.perf_counter() - t)
    t = time.perf_counter()
    for _ in range(list_pages):
        conn.execute(
            "SELECT key, expiration, metadata FROM _mf_entries WHERE key >= ? AND (expiration IS NULL OR "
            "expiration > ?) ORDER BY key LIMIT ?",
            ("", 0, 1001),
        ).fetchall()
    lst = rate(list_pages, time.perf_counter() - t)
    result = {"put": put, "get": get, "list": lst}
    if path is not None:
        # the same statements plus what the layout adds on disk: one value file per put (temp name + rename),
        # read back per get -- the floor for any implementation of wrangler's layout
        blobs = Path(path).with_name("raw-blobs")
        blobs.mkdir()
        data = VALUE.encode()
        t = time.perf_counter()
        for k, b in zip(keys, blob_ids, strict=True):
            tmp = f"{blobs}/.{b}.tmp"
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            os.write(fd, data)
            os.close(fd)
            os.rename(tmp, f"{blobs}/{b}")
            conn.execute(
                "INSERT OR REPLACE INTO _mf_entries (key, blob_id, expiration, metadata) VALUES (?, ?, ?, ?)",
                ("f" + k, b, None, None),
            )
        result["put+file"] = rate(n, time.perf_counter() - t)
        t = time.perf_counter()
        for k in keys:
            (b, _, _) = conn.execute(
                "SELECT blob_id, expiration, metadata FROM _mf_entries WHERE key = ?", ("f" + k,)
            ).fetchone()
            with open(f"{blobs}/{b}", "rb") as f:
                f.read()
        result["get+file"] = rate(n, time.perf_counter() - t)
    conn.close()
    return result


async def binding(persist: Path | None, n: int, list_pages: int) -> dict[str, float]:
    ctx = LocalContext(persist_to=persist, in_memory=persist is None)
    kv = make_local("KV", {"type": "kv_namespace", "id": "bench"}, ctx)
    keys = [f"key-{i:08d}" for i in range(n)]
    t = time.perf_counter()
    for k in keys:
        await kv.put(k, VALUE)
    put = rate(n, time.perf_counter() - t)
    t = time.perf_counter()
    for k in keys:
        await kv.get(k)
    get = rate(n, time.perf_counter() - t)
    t = time.perf_counter()
    for _ in range(list_pages):
        await kv.list()
    lst = rate(list_pages, time.perf_counter() - t)
    result = {"put": put, "get": get, "list": lst}
    if persist is not None:
        # a fresh process's view: no value cached yet, every get reads its blob file
        cold_ctx = LocalContext(persist_to=persist)
        cold = make_local("KV", {"type": "kv_namespace", "id": "bench"}, cold_ctx)
        t = time.perf_counter()
        for k in keys:
            await cold.get(k)
        result["get (cold)"] = rate(n, time.perf_counter() - t)
        await cold_ctx.dispose()
    await ctx.dispose()
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("n", nargs="?", type=int, default=5000)
    parser.add_argument("--dir", default=None, help="where to put the temporary state (default: system temp)")
    parser.add_argument("--list-pages", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3, help="alternate binding/raw runs; report the medians")
    args = parser.parse_args()
    # temporary directories are removed only at the end: mass deletes right before a run (ext4 with online discard)
    # slow the next run's file creation down and would measure the previous run's cleanup
    roots: list[Path] = []
    try:
        for mode in ("disk", "memory"):
            report(mode, args, roots)
    finally:
        for root in roots:
            shutil.rmtree(root, ignore_errors=True)


def report(mode: str, args: argparse.Namespace, roots: list[Path]) -> None:
    ours_runs: list[dict[str, float]] = []
    raw_runs: list[dict[str, float]] = []
    for _ in range(args.repeat):
        # a fresh directory per run; the binding and raw sqlite3 alternate so both see the same machine load
        root = Path(tempfile.mkdtemp(prefix="kv-measure-", dir=args.dir))
        roots.append(root)
        state = root / "state" if mode == "disk" else None
        raw_path = str(root / "raw.sqlite") if mode == "disk" else None
        ours_runs.append(asyncio.run(binding(state, args.n, args.list_pages)))
        raw_runs.append(raw_sqlite(raw_path, args.n, args.list_pages))
    ours = {op: statistics.median(r[op] for r in ours_runs) for op in ours_runs[0]}
    raw = {op: statistics.median(r[op] for r in raw_runs) for op in raw_runs[0]}
    print(f"[{mode}] N={args.n}, median of {args.repeat} runs")
    for op in [op for op in ("put", "get", "get (cold)", "list") if op in ours]:
        unit = "pages/s (1000 keys)" if op == "list" else "ops/s"
        base = "get" if op.startswith("get") else op
        line = (
            f"  {op:10} binding {ours[op]:>10.0f}  raw sqlite3 {raw[base]:>10.0f} {unit}"
            f"  ratio {ours[op] / raw[base]:.0%}"
        )
        if base in MINIFLARE:
            line += f"  vs miniflare in-Worker {ours[op] / MINIFLARE[base]:.0f}x"
        print(line)
    if "put+file" in raw:
        print(
            f"  raw sqlite3 + value files (the layout's floor): put {raw['put+file']:.0f} ops/s"
            f" (binding {ours['put'] / raw['put+file']:.0%}),"
            f" get {raw['get+file']:.0f} ops/s (binding cold {ours['get (cold)'] / raw['get+file']:.0%})"
        )


if __name__ == "__main__":
    main()
