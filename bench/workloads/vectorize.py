"""Vectorize: insert throughput and top-10 cosine query latency of the local exact index, beside a bare numpy matmul.

flarebind: a 768-dimension cosine index on disk, created with the plugin's catalog and filled through the binding
(``insert`` in batches of 1000, numpy rows as values), then ``query(v, {"topK": 10})`` with and without a metadata
filter (``{"category": "c3"}``, one vector in ten), and the time to open the index cold in a new process context.
numpy (the practical ceiling): the same random matrix in one float32 array; "insert" copies the batches into a
preallocated matrix, a query is ``X @ q`` (or ``X[mask] @ q``) and ``argpartition`` of the cosine scores, "open" is
``np.load`` of the matrix. Memory is the child process's peak RSS (VmHWM), which includes the generated data.

Sizes: 10k and 100k vectors; 1M (about 3 GiB of float32 per copy) only with ``FLAREBIND_BENCH_VECTORIZE_1M=1``, since
the machine is shared.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from bench.harness import FLAREBIND, MetricDef, Side, Skip, Target, Workload, module_missing, run_python_child
from bench.proc import memory_kib, reset_peak

NUMPY = "numpy"
DIMS = 768
BATCH = 1000
TOP_K = 10
CATEGORIES = 10
SIZES = {"1k": 1_000, "10k": 10_000, "100k": 100_000, "1M": 1_000_000}

METRICS = [
    MetricDef("insert", f"insert, batches of {BATCH}", "vectors/s"),
    MetricDef("query_p50", "query top-10 cosine, p50", "ms", higher_is_better=False),
    MetricDef("query_p99", "query top-10 cosine, p99", "ms", higher_is_better=False),
    MetricDef("filtered_p50", "query with a filter (10% match), p50", "ms", higher_is_better=False),
    MetricDef("filtered_p99", "query with a filter (10% match), p99", "ms", higher_is_better=False),
    MetricDef("open_s", "open the index cold (load the matrix)", "s", higher_is_better=False),
    MetricDef("peak_rss_mb", "peak RSS of the process", "MiB", higher_is_better=False),
]


def variants(quick: bool) -> list[str]:
    if quick:
        return ["1k"]
    out = ["10k", "100k"]
    if os.environ.get("FLAREBIND_BENCH_VECTORIZE_1M") == "1":
        out.append("1M")
    return out


def params(quick: bool) -> dict[str, Any]:
    return {"dims": 64 if quick else DIMS, "queries": 20 if quick else 200, "seed": 0}


def _data(n: int, dims: int, seed: int) -> tuple[Any, Any, Any]:
    import numpy as np

    rng = np.random.default_rng(seed)
    matrix = rng.standard_normal((n, dims), dtype=np.float32)
    categories = np.arange(n) % CATEGORIES
    queries = rng.standard_normal((256, dims), dtype=np.float32)
    return matrix, categories, queries


def _percentiles(samples: list[float]) -> tuple[float, float]:
    import numpy as np

    arr = np.asarray(samples) * 1000
    return float(np.percentile(arr, 50)), float(np.percentile(arr, 99))


async def flarebind_child(p: dict[str, Any]) -> dict[str, Any]:
    missing = module_missing("flarebind_vectorize.local:make_local", "numpy")
    if missing:
        raise Skip(missing)
    from flarebind.plugin import LocalContext
    from flarebind_vectorize.local import catalog_for, make_local

    reset_peak()
    n, dims = p["n"], p["dims"]
    matrix, categories, queries = _data(n, dims, p["seed"])
    persist = Path(p["persist"])
    ctx = LocalContext(persist_to=persist)
    catalog_for(ctx).create("bench", dims, "cosine")
    catalog_for(ctx).open("bench").create_metadata_index("category", "string")
    index = make_local("VECTORIZE", {"index_name": "bench"}, ctx)
    out: dict[str, Any] = {}
    start = time.perf_counter()
    for i in range(0, n, BATCH):
        await index.insert(
            [
                {"id": f"v{j}", "values": matrix[j], "metadata": {"category": f"c{categories[j]}"}}
                for j in range(i, min(i + BATCH, n))
            ]
        )
    out["insert"] = n / (time.perf_counter() - start)
    if (await index.describe())["vectorCount"] != n:
        raise RuntimeError("the index does not hold every inserted vector")
    for metric, options in (("query", {"topK": TOP_K}), ("filtered", {"topK": TOP_K, "filter": {"category": "c3"}})):
        samples = []
        for q in range(p["queries"]):
            t = time.perf_counter()
            result = await index.query(queries[q % len(queries)], options)
            samples.append(time.perf_counter() - t)
            if result["count"] != TOP_K:
                raise RuntimeError(f"{metric}: {result['count']} matches instead of {TOP_K}")
        out[f"{metric}_p50"], out[f"{metric}_p99"] = _percentiles(samples)
    await ctx.dispose()
    # cold open: a new context loads the matrix from SQLite on first use
    ctx = LocalContext(persist_to=persist)
    index = make_local("VECTORIZE", {"index_name": "bench"}, ctx)
    start = time.perf_counter()
    await index.describe()
    out["open_s"] = time.perf_counter() - start
    await ctx.dispose()
    out["peak_rss_mb"] = memory_kib()["hwm"] / 1024
    return out


def numpy_child(p: dict[str, Any]) -> dict[str, Any]:
    import numpy as np

    reset_peak()
    n, dims = p["n"], p["dims"]
    matrix, categories, queries = _data(n, dims, p["seed"])
    out: dict[str, Any] = {}
    start = time.perf_counter()
    table = np.empty((n, dims), dtype=np.float32)
    for i in range(0, n, BATCH):
        table[i : i + BATCH] = matrix[i : i + BATCH]
    norms = np.linalg.norm(table, axis=1)
    out["insert"] = n / (time.perf_counter() - start)
    mask = categories == 3
    for metric, filtered in (("query", False), ("filtered", True)):
        samples = []
        for q in range(p["queries"]):
            vec = queries[q % len(queries)]
            t = time.perf_counter()
            if filtered:
                rows = np.flatnonzero(mask)
                scores = (table[rows] @ vec) / (norms[rows] * np.linalg.norm(vec))
            else:
                scores = (table @ vec) / (norms * np.linalg.norm(vec))
            top = np.argpartition(-scores, TOP_K)[:TOP_K]
            top = top[np.argsort(-scores[top])]
            samples.append(time.perf_counter() - t)
            if len(top) != TOP_K:
                raise RuntimeError("numpy top-k went wrong")
        out[f"{metric}_p50"], out[f"{metric}_p99"] = _percentiles(samples)
    path = Path(p["persist"]) / "matrix.npy"
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, table)
    start = time.perf_counter()
    loaded = np.load(path)
    out["open_s"] = time.perf_counter() - start
    if loaded.shape != table.shape:
        raise RuntimeError("numpy reload went wrong")
    out["peak_rss_mb"] = memory_kib()["hwm"] / 1024
    return out


def run_flarebind(variant: str, p: dict[str, Any], workdir: Path) -> dict[str, Any]:
    return run_python_child(
        "bench.workloads.vectorize:flarebind_child", {**p, "n": SIZES[variant], "persist": str(workdir / "state")}
    )


def run_numpy(variant: str, p: dict[str, Any], workdir: Path) -> dict[str, Any]:
    return run_python_child(
        "bench.workloads.vectorize:numpy_child", {**p, "n": SIZES[variant], "persist": str(workdir)}
    )


def _within_matmul(v: Any) -> tuple[bool | None, str]:
    parts, ok = [], True
    for variant in ("10k", "100k", "1M"):
        for metric in ("query_p50", "filtered_p50"):
            fb, base = v(FLAREBIND, variant, metric), v(NUMPY, variant, metric)
            if fb is None or base is None:
                continue
            ratio = fb / base
            ok = ok and ratio <= 2.0
            parts.append(f"{variant} {metric}: {ratio:.2f}×")
    if not parts:
        return None, "not measured"
    return ok, ", ".join(parts)


def _p50_at_100k(v: Any) -> tuple[bool | None, str]:
    fb = v(FLAREBIND, "100k", "query_p50")
    if fb is None:
        return None, "100k not measured"
    return fb <= 50.0, f"{fb:.1f} ms"


def _insert_rate(v: Any) -> tuple[bool | None, str]:
    rates = {variant: v(FLAREBIND, variant, "insert") for variant in ("10k", "100k", "1M")}
    rates = {k: r for k, r in rates.items() if r is not None}
    if not rates:
        return None, "not measured"
    return min(rates.values()) >= 50_000, ", ".join(f"{k}: {r:,.0f}/s" for k, r in rates.items())


WORKLOAD = Workload(
    name="vectorize",
    title="Vectorize: exact index vs bare numpy",
    description=__doc__.split("\n\n")[0],
    metrics=METRICS,
    sides=[Side(FLAREBIND, run_flarebind), Side(NUMPY, run_numpy)],
    variants=variants,
    params=params,
    requires=lambda: module_missing("numpy"),
    targets=[
        Target("query within 2× of the bare numpy matmul (p50)", _within_matmul),
        Target("query p50 ≤ 50 ms at 100k × 768", _p50_at_100k),
        Target("insert ≥ 50k vectors/s", _insert_rate),
    ],
    notes=[
        "Results are exact top-10 (Cloudflare's index is approximate); both sides score every candidate row.",
        "1M vectors run only with FLAREBIND_BENCH_VECTORIZE_1M=1 (about 3 GiB per float32 copy; shared machine).",
    ],
    reps=lambda quick: 1 if quick else 2,
)
