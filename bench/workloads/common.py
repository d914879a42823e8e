"""Helpers shared by the binding workloads (KV, R2, D1)."""

from __future__ import annotations

import time
from typing import Any

from bench.harness import FLAREBIND, MINIFLARE, run_node


def key(i: int) -> str:
    # the same key names as bench/node/bindings-worker.mjs
    return f"key-{i:08d}"


def filler(size: int) -> bytes:
    return bytes(97 + (i % 26) for i in range(size))


def rate(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else float("inf")


class Timer:
    """Wall seconds and this process's CPU seconds (user + system) of a block."""

    def __enter__(self) -> Timer:
        self.start = time.perf_counter()
        self.cpu_start = time.process_time()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.seconds = time.perf_counter() - self.start
        self.cpu_seconds = time.process_time() - self.cpu_start


def cpu_us_per_op(phase: dict[str, Any], n: int) -> float | None:
    """Miniflare's CPU per operation in a phase: its Node process plus workerd, in microseconds."""
    node, workerd = phase.get("node_cpu_ms"), phase.get("workerd_cpu_ms")
    if node is None or workerd is None or workerd != workerd:  # NaN when workerd's /proc entry was unreadable
        return None
    return (node + workerd) * 1000 / n


def miniflare_phases(variant: str, workdir: Any, phases: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Run phases of bench/node/bindings-worker.mjs in one Miniflare instance; return them by route name.

    ``variant`` "disk" persists under ``workdir``; "memory" is Miniflare's default (a temp folder it deletes).
    A phase whose route answered with an error raises, naming the route and Miniflare's message.
    """
    plan = {"mode": "disk" if variant == "disk" else "memory", "persist": str(workdir / "mf"), "phases": phases}
    out = run_node("mf-bindings.mjs", plan)
    by_route: dict[str, dict[str, Any]] = {}
    for i, phase in enumerate(out["phases"]):
        if phase.get("status") != 200:
            raise RuntimeError(f"{MINIFLARE} route {phase['route']} failed: {phase.get('error')}")
        by_route[phase.get("as") or phases[i].get("as") or phase["route"]] = phase
    if len(by_route) < len(phases):
        raise RuntimeError(f"{MINIFLARE} stopped after {len(by_route)} of {len(phases)} phases")
    return by_route


def field(obj: Any, name: str) -> Any:
    """``obj.name`` for result objects, ``obj[name]`` for dict-shaped results (whichever the binding returns)."""
    if isinstance(obj, dict):
        return obj[name]
    return getattr(obj, name)


def side_target(other: str, metrics: tuple[str, ...], threshold: float, *, percent: bool = False) -> Any:
    """A target check: flarebind / ``other`` ≥ ``threshold`` for every metric, on disk and in memory."""

    def check(v: Any) -> tuple[bool | None, str]:
        parts, ok = [], True
        for variant in ("disk", "memory"):
            for metric in metrics:
                fb, base = v(FLAREBIND, variant, metric), v(other, variant, metric)
                if fb is None or base is None:
                    return None, f"{variant} {metric}: not measured"
                share = fb / base
                parts.append(f"{variant} {metric} " + (f"{100 * share:.0f}%" if percent else f"{share:.1f}×"))
                ok = ok and share >= threshold
        return ok, ", ".join(parts)

    return check
