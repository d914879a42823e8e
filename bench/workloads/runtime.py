"""Runtime: dev cold start, requests/s over keep-alive HTTP, in-process dispatch, reload latency, idle memory (issue 6).

flarebind: ``flarebind dev`` as a real process on ``examples/hello`` (cold start, idle memory) and on the trivial
Python Worker in ``bench/workers/trivial`` (HTTP requests/s, reload), and ``flarebind.runtime.Runtime.dispatch_fetch``
in a child process. Miniflare: ``node wrangler.js dev`` on the JavaScript twins in ``bench/node/`` (cold start, idle
memory, reload), and a Miniflare instance with a trivial Worker for ``dispatchFetch`` and for HTTP on its own URL.
One Node client (``bench/node/http-load.mjs``, one keep-alive connection) drives both HTTP servers.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.devserver import DevServer, free_port
from bench.harness import (
    FLAREBIND,
    MINIFLARE,
    NODE_DIR,
    REPO,
    MetricDef,
    Side,
    Skip,
    Target,
    Workload,
    module_missing,
    node_environment,
    run_node,
    run_python_child,
)

HELLO = REPO / "examples" / "hello"
TRIVIAL = Path(__file__).resolve().parent.parent / "workers" / "trivial"

METRICS = [
    MetricDef("cold_start", "dev: process start → first 200 (hello example)", "ms", higher_is_better=False),
    MetricDef("http_rps", "trivial Worker over keep-alive HTTP", "req/s"),
    MetricDef("dispatch_rps", "in-process dispatch_fetch / dispatchFetch", "req/s"),
    MetricDef("reload", "code edit → first response with the new code", "ms", higher_is_better=False),
    MetricDef("idle_rss", "dev server idle memory (process tree RSS)", "MiB", higher_is_better=False),
]


def params(quick: bool) -> dict[str, Any]:
    return {"n": 200 if quick else 2000, "reloads": 1 if quick else 2, "idle_wait": 0.5 if quick else 2.0}


def flarebind_cli() -> list[str]:
    script = Path(sys.executable).parent / "flarebind"
    return [str(script)] if script.exists() else [sys.executable, "-c", "from flarebind.cli import main; main()"]


def dev_missing() -> str | None:
    # the CLI loads `dev` lazily, so `--help` alone does not prove the command's module exists
    missing = module_missing("flarebind.cli:main", "flarebind.cli.dev")
    if missing:
        return missing
    proc = subprocess.run([*flarebind_cli(), "dev", "--help"], capture_output=True, text=True, cwd=REPO)
    if proc.returncode != 0:
        return "`flarebind dev` is not available yet: " + (proc.stderr or proc.stdout).strip().splitlines()[-1:][0]
    return None


def _copy_project(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns(".wrangler", "__pycache__", "node_modules", ".venv"))
    return dst


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    if old not in text:
        raise RuntimeError(f"{path} does not contain {old!r}")
    path.write_text(text.replace(old, new))


def _measure_reloads(server: DevServer, source: Path, count: int) -> float:
    """Edit ``source`` ``count`` times (``hello`` → ``hello-1`` …); median ms from the write to the new response."""
    times, current = [], "hello"
    for k in range(1, count + 1):
        time.sleep(1.0)  # let the watcher settle, as a person would not edit within the same second
        new = f"hello-{k}"
        _edit(source, f'"{current}"', f'"{new}"')
        written = time.perf_counter()
        server.wait_for(expect=new, since=written, give_up_after=60)
        times.append((time.perf_counter() - written) * 1000)
        current = new
    return statistics.median(times)


def _http_load(url: str, n: int) -> float:
    out = run_node("http-load.mjs", {"url": url, "n": n, "expect": "hello"})
    return out["rps"]


# ---- flarebind ----


def _flarebind_dev(project: Path, workdir: Path, name: str) -> DevServer:
    port = free_port()
    cmd = [
        *flarebind_cli(),
        "dev",
        "--ip",
        "127.0.0.1",
        "--port",
        str(port),
        "--persist-to",
        str(workdir / f"{name}-state"),
    ]
    return DevServer(cmd, project, dict(os.environ), port, workdir / f"{name}.log")


async def dispatch_child(p: dict[str, Any]) -> dict[str, Any]:
    missing = module_missing("flarebind.runtime:Runtime")
    if missing:
        raise Skip(missing)
    import inspect

    from flarebind.runtime import Runtime

    async def body_of(resp: Any) -> str:
        text = resp.text() if callable(getattr(resp, "text", None)) else resp.text
        return await text if inspect.isawaitable(text) else text

    rt = Runtime.from_config(str(TRIVIAL / "wrangler.toml"), persist_to=p["persist"])
    async with rt:
        await rt.ready
        first = await body_of(await rt.dispatch_fetch("http://localhost/"))
        if first != "hello":
            raise RuntimeError(f"unexpected body {first!r}")
        start = time.perf_counter()
        for _ in range(p["n"]):
            if await body_of(await rt.dispatch_fetch("http://localhost/")) != "hello":
                raise RuntimeError("unexpected body")
        seconds = time.perf_counter() - start
    return {"dispatch_rps": p["n"] / seconds}


def run_flarebind(variant: str, p: dict[str, Any], workdir: Path) -> dict[str, Any]:
    out: dict[str, Any] = {}
    skipped: dict[str, str] = {}
    missing = dev_missing()
    if missing:
        for m in ("cold_start", "idle_rss", "http_rps", "reload"):
            skipped[m] = missing
    else:
        if not (HELLO / "wrangler.toml").exists() and not (HELLO / "wrangler.jsonc").exists():
            skipped["cold_start"] = skipped["idle_rss"] = "examples/hello does not exist yet"
        else:
            hello = _copy_project(HELLO, workdir / "hello")
            with _flarebind_dev(hello, workdir, "hello") as server:
                out["cold_start"] = server.wait_for() * 1000
                time.sleep(p["idle_wait"])
                out["idle_rss"] = server.tree_rss_mib()
        trivial = _copy_project(TRIVIAL, workdir / "trivial")
        with _flarebind_dev(trivial, workdir, "trivial") as server:
            server.wait_for(expect="hello")
            out["http_rps"] = _http_load(f"http://127.0.0.1:{server.port}/", p["n"])
            out["reload"] = _measure_reloads(server, trivial / "src" / "entry.py", p["reloads"])
    try:
        out.update(
            run_python_child(
                "bench.workloads.runtime:dispatch_child", {"n": p["n"], "persist": str(workdir / "dispatch-state")}
            )
        )
    except Skip as exc:
        skipped["dispatch_rps"] = str(exc)
    out["_skipped"] = skipped
    return out


# ---- Miniflare / wrangler ----


def wrangler_dev(project: Path, workdir: Path, name: str) -> DevServer:
    """``wrangler dev`` on ``project`` on a free port (state, log and config under ``workdir``), not yet started."""
    from flarebind.testing.node import wrangler_command

    port = free_port()
    cmd = [
        *wrangler_command(),
        "dev",
        "--ip",
        "127.0.0.1",
        "--port",
        str(port),
        "--inspector-port",
        str(free_port()),
        "--persist-to",
        str(workdir / f"{name}-state"),
    ]
    (workdir / "xdg").mkdir(exist_ok=True)
    env = node_environment({"XDG_CONFIG_HOME": str(workdir / "xdg")})
    return DevServer(cmd, project, env, port, workdir / f"{name}.log")


def run_miniflare(variant: str, p: dict[str, Any], workdir: Path) -> dict[str, Any]:
    out: dict[str, Any] = {}
    hello = _copy_project(NODE_DIR / "hello-js", workdir / "hello-js")
    with wrangler_dev(hello, workdir, "hello") as server:
        out["cold_start"] = server.wait_for() * 1000
        time.sleep(p["idle_wait"])
        out["idle_rss"] = server.tree_rss_mib()
    trivial = _copy_project(NODE_DIR / "trivial-js", workdir / "trivial-js")
    with wrangler_dev(trivial, workdir, "trivial") as server:
        server.wait_for(expect="hello")
        out["reload"] = _measure_reloads(server, trivial / "src" / "index.js", p["reloads"])
    out["dispatch_rps"] = run_node("mf-runtime.mjs", {"op": "dispatch", "n": p["n"]})["rps"]
    out["http_rps"] = _miniflare_http_rps(p["n"])
    return out


def _miniflare_http_rps(n: int) -> float:
    """Miniflare serving its own URL (no wrangler proxy in front), loaded by the same Node client."""
    import json

    node = shutil.which("node")
    if not node:
        raise Skip("node is not installed")
    plan = json.dumps({"op": "serve"})
    server = subprocess.Popen(
        [node, str(NODE_DIR / "mf-runtime.mjs"), plan],
        cwd=NODE_DIR,
        env=node_environment(),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None and server.stdin is not None
        line = server.stdout.readline()
        if not line:
            raise RuntimeError(f"Miniflare serve failed: {server.stderr.read() if server.stderr else ''}")
        url = json.loads(line)["url"]
        return _http_load(url, n)
    finally:
        if server.stdin:
            server.stdin.close()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _cold_target(v):
    fb, mf = v(FLAREBIND, "local", "cold_start"), v(MINIFLARE, "local", "cold_start")
    if fb is None:
        return None, "not measured"
    text = f"flarebind {fb:.0f} ms"
    if mf is not None:
        text += f", wrangler dev {mf:.0f} ms ({mf / fb:.1f}× faster)"
    return fb <= 500 and (mf is None or mf / fb >= 4), text


def _rps_target(metric: str, factor: float, against: str):
    def check(v):
        fb, mf = v(FLAREBIND, "local", metric), v(MINIFLARE, "local", against)
        if fb is None or mf is None:
            return None, "not measured"
        return fb / mf >= factor, f"{fb:.0f} vs Miniflare {mf:.0f} req/s ({fb / mf:.1f}×)"

    return check


def _reload_target(v):
    fb = v(FLAREBIND, "local", "reload")
    if fb is None:
        return None, "not measured"
    mf = v(MINIFLARE, "local", "reload")
    return fb <= 500, f"flarebind {fb:.0f} ms" + (f", wrangler dev {mf:.0f} ms" if mf is not None else "")


WORKLOAD = Workload(
    name="runtime",
    title="Runtime and dev server",
    description="flarebind dev vs `node wrangler.js dev` (cold start, reload, idle memory), flarebind's HTTP server "
    "vs Miniflare's for a trivial Worker over one keep-alive connection (same Node client), and in-process "
    "dispatch_fetch vs Miniflare's dispatchFetch (2000 sequential requests).",
    metrics=METRICS,
    sides=[Side(FLAREBIND, run_flarebind), Side(MINIFLARE, run_miniflare)],
    variants=lambda quick: ["local"],
    params=params,
    requires=lambda: None,
    targets=[
        Target("flarebind dev cold start ≤ 0.5 s and ≥ 4× faster than wrangler dev", _cold_target),
        Target("keep-alive HTTP req/s ≥ 3× Miniflare's dispatch rate", _rps_target("http_rps", 3, "dispatch_rps")),
        Target(
            "in-process dispatch_fetch ≥ 10× Miniflare's dispatchFetch", _rps_target("dispatch_rps", 10, "dispatch_rps")
        ),
        Target("reload after a code edit ≤ 0.5 s", _reload_target),
    ],
    notes=[
        "Miniflare's HTTP figure is Miniflare serving its own URL (no wrangler proxy worker in front); the "
        "reload, cold start and idle memory figures are `node wrangler.js dev` (the whole process tree: two node "
        "processes, two workerd, esbuild).",
        "Reload is timed from the file write to the first response carrying the new text (polling every 5 ms), "
        "one second after the previous response.",
    ],
)
