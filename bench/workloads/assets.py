"""Static assets (issue 17): a static file over keep-alive HTTP from `flarebind dev` vs `wrangler dev` (same Node
client, one connection; latency is the mean per sequential request), and the in-process cost of a service-binding
RPC call between two Python Workers.

Both dev servers serve the same `public/style.css` in front of a trivial Worker (Python for flarebind, its JS twin for
wrangler), so the numbers compare the asset path only: flarebind answers from its ASGI layer, wrangler from its asset
worker in workerd behind its proxy.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from bench.devserver import DevServer, free_port
from bench.harness import FLAREBIND, MINIFLARE, MetricDef, Side, Skip, Target, Workload, run_node
from bench.workloads.runtime import dev_missing, flarebind_cli, wrangler_dev

CSS = "hello"  # the body the load client checks on every response

METRICS = [
    MetricDef("asset_rps", "static file (/style.css) over keep-alive HTTP", "req/s"),
    MetricDef("asset_latency", "mean latency per sequential static-file request", "ms", higher_is_better=False),
]
RPC_METRICS = [
    MetricDef("rpc_calls", "service-binding RPC calls between two in-process Python Workers", "calls/s"),
]


def params(quick: bool) -> dict[str, Any]:
    return {"n": 200 if quick else 2000, "calls": 200 if quick else 5000}


def _project(root: Path, python: bool) -> Path:
    (root / "src").mkdir(parents=True)
    (root / "public").mkdir()
    (root / "public" / "style.css").write_text(CSS)
    if python:
        (root / "wrangler.toml").write_text(
            'name = "bench-assets"\nmain = "src/entry.py"\ncompatibility_date = "2026-04-01"\n'
            'compatibility_flags = ["python_workers"]\n[assets]\ndirectory = "./public"\n'
        )
        (root / "src" / "entry.py").write_text(
            "from workers import Response, WorkerEntrypoint\n\n\nclass Default(WorkerEntrypoint):\n"
            "    async def fetch(self, request):\n        return Response('worker')\n"
        )
    else:
        (root / "wrangler.toml").write_text(
            'name = "bench-assets-js"\nmain = "src/index.js"\ncompatibility_date = "2026-04-01"\n'
            '[assets]\ndirectory = "./public"\n'
        )
        (root / "src" / "index.js").write_text("export default { fetch() { return new Response('worker'); } };\n")
    return root


def _load(port: int, n: int) -> dict[str, float]:
    out = run_node("http-load.mjs", {"url": f"http://127.0.0.1:{port}/style.css", "n": n, "expect": CSS})
    return {"asset_rps": out["rps"], "asset_latency": 1000 / out["rps"]}


async def rpc_child(p: dict[str, Any]) -> dict[str, Any]:
    """Two Python Workers in one process; `calls` sequential RPC calls through a service binding."""
    import tempfile

    from flarebind.runtime import Runtime
    from flarebind.runtime.services.registry import register_worker, unregister_worker

    root = Path(tempfile.mkdtemp(prefix="bench-rpc-"))
    for name, code in {
        "caller": "from workers import Response, WorkerEntrypoint\nclass Default(WorkerEntrypoint):\n"
        "    async def fetch(self, request):\n        return Response('x')\n",
        "callee": "from workers import WorkerEntrypoint\nclass Default(WorkerEntrypoint):\n"
        "    def add(self, a, b):\n        return a + b\n",
    }.items():
        (root / name).mkdir()
        (root / name / "entry.py").write_text(code)
    common = {"in_memory": True, "compatibility_date": "2026-04-01", "compatibility_flags": ["python_workers"]}
    callee = Runtime(main=root / "callee" / "entry.py", **common)
    caller = Runtime(
        main=root / "caller" / "entry.py", bindings={"CALLEE": {"type": "service", "service": "callee"}}, **common
    )
    register_worker("callee", callee)
    try:
        async with callee, caller:
            env = await caller.get_bindings()
            if await env.CALLEE.add(1, 2) != 3:
                raise RuntimeError("unexpected RPC result")
            start = time.perf_counter()
            for i in range(p["calls"]):
                await env.CALLEE.add(i, 1)
            seconds = time.perf_counter() - start
    finally:
        unregister_worker("callee", callee)
    return {"rpc_calls": p["calls"] / seconds}


def run_flarebind(variant: str, p: dict[str, Any], workdir: Path) -> dict[str, Any]:

    missing = dev_missing()
    if missing:
        raise Skip(missing)
    project = _project(workdir / "py", python=True)
    port = free_port()
    cmd = [*flarebind_cli(), "dev", "--ip", "127.0.0.1", "--port", str(port), "--persist-to", str(workdir / "st")]
    with DevServer(cmd, project, dict(os.environ), port, workdir / "flarebind.log") as server:
        server.wait_for(path="/style.css", expect=CSS)
        out: dict[str, Any] = _load(port, p["n"])
    out["_skipped"] = {}
    return out


def run_rpc(variant: str, p: dict[str, Any], workdir: Path) -> dict[str, Any]:
    from bench.harness import run_python_child

    return run_python_child("bench.workloads.assets:rpc_child", {"calls": p["calls"]})


def run_wrangler(variant: str, p: dict[str, Any], workdir: Path) -> dict[str, Any]:
    project = _project(workdir / "js", python=False)
    with wrangler_dev(project, workdir, "assets") as server:
        server.wait_for(path="/style.css", expect=CSS)
        out: dict[str, Any] = _load(server.port, p["n"])
    out["_skipped"] = {}
    return out


def _rps_target(v):
    fb, mf = v(FLAREBIND, "local", "asset_rps"), v(MINIFLARE, "local", "asset_rps")
    if fb is None or mf is None:
        return None, "not measured"
    return fb / mf >= 3, f"{fb:.0f} vs wrangler dev {mf:.0f} req/s ({fb / mf:.1f}×)"


WORKLOAD = Workload(
    name="assets",
    title="Static assets and service bindings",
    description="A static file served in front of a trivial Worker by flarebind dev vs `wrangler dev` (2000 "
    "sequential GETs over one keep-alive connection, same Node client).",
    metrics=METRICS,
    sides=[Side(FLAREBIND, run_flarebind), Side(MINIFLARE, run_wrangler)],
    variants=lambda quick: ["local"],
    params=params,
    targets=[Target("static file req/s ≥ 3× wrangler dev", _rps_target)],
)


# in-process Python <-> Python RPC has no wrangler counterpart: a flarebind-only workload
RPC_WORKLOAD = Workload(
    name="services",
    title="Service-binding RPC in process",
    description="5000 sequential RPC calls from one Python Worker to another's WorkerEntrypoint method through a "
    "service binding, both in one process.",
    metrics=RPC_METRICS,
    sides=[Side(FLAREBIND, run_rpc)],
    variants=lambda quick: ["local"],
    params=params,
)
