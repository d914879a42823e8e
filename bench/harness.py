"""The workload model and the runner: alternating repetitions of every side, medians, min/max and ratios.

A workload has variants (``disk``, ``memory``, ...), metrics, and sides (``flarebind``, ``miniflare``, ``sqlite3``).
Each side is called once per variant per repetition and returns ``{metric: value}``; the order of the sides
rotates every repetition so that neither always runs first on a warm (or busy) machine. Sides that cannot run
raise :class:`Skip` with what is missing; the numbers are then absent, never invented.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
NODE_DIR = Path(__file__).resolve().parent / "node"

FLAREBIND = "flarebind"
MINIFLARE = "miniflare"
SQLITE3 = "sqlite3"


class Skip(Exception):
    """A side or workload cannot run here; the message names what is missing."""


@dataclass(frozen=True)
class MetricDef:
    key: str
    label: str
    unit: str
    higher_is_better: bool = True
    signed: bool = False  # a difference of medians (an overhead), which noise can make negative


@dataclass
class Side:
    name: str
    # run(variant, params, workdir) -> {metric key: value}; may also return "_skipped": {metric key: reason}
    run: Callable[[str, dict[str, Any], Path], dict[str, Any]]
    variants: tuple[str, ...] | None = None  # None: every variant of the workload


@dataclass
class Target:
    text: str
    # check(lookup) -> (met: True/False/None when not measurable, detail)
    check: Callable[[Lookup], tuple[bool | None, str]]


@dataclass
class Workload:
    name: str
    title: str
    description: str
    metrics: list[MetricDef]
    sides: list[Side]
    variants: Callable[[bool], list[str]]
    params: Callable[[bool], dict[str, Any]]
    requires: Callable[[], str | None] = lambda: None
    targets: list[Target] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    reps: Callable[[bool], int] = lambda quick: 1 if quick else 3


class Lookup:
    """Median of a (side, variant, metric) in finished results; None when it was not measured."""

    def __init__(self, rows: list[dict[str, Any]]):
        self._rows = {(r["variant"], r["metric"]): r for r in rows}

    def __call__(self, side: str, variant: str, metric: str) -> float | None:
        row = self._rows.get((variant, metric))
        if not row:
            return None
        stats = row["sides"].get(side) or {}
        return stats.get("median")


def summarize(samples: list[float]) -> dict[str, Any]:
    return {
        "samples": samples,
        "median": statistics.median(samples),
        "min": min(samples),
        "max": max(samples),
    }


def run_workload(workload: Workload, quick: bool, log: Callable[[str], None]) -> dict[str, Any]:
    """Run every side of a workload in alternating repetitions and return its JSON-ready result."""
    started = time.time()
    result: dict[str, Any] = {
        "name": workload.name,
        "title": workload.title,
        "description": workload.description,
        "notes": list(workload.notes),
        "metrics": [],
        "targets": [],
        "errors": [],
    }
    missing = workload.requires()
    if missing:
        result["status"] = f"skipped: {missing}"
        return result
    params = workload.params(quick)
    variants = workload.variants(quick)
    reps = workload.reps(quick)
    result.update(params=params, variants=variants, reps=reps)

    samples: dict[tuple[str, str, str], list[float]] = {}
    skipped: dict[tuple[str, str, str], str] = {}
    for rep in range(reps):
        for variant in variants:
            sides = [s for s in workload.sides if s.variants is None or variant in s.variants]
            shift = rep % len(sides) if sides else 0
            for side in sides[shift:] + sides[:shift]:
                log(f"  {workload.name} rep {rep + 1}/{reps} {variant:<8} {side.name}")
                workdir = Path(tempfile.mkdtemp(prefix=f"flarebind-bench-{workload.name}-"))
                try:
                    values = side.run(variant, params, workdir)
                except Skip as exc:
                    for m in workload.metrics:
                        skipped[(side.name, variant, m.key)] = str(exc)
                    continue
                except Exception as exc:
                    text = f"{side.name} / {variant}: {type(exc).__name__}: {exc}"
                    log("    ERROR " + text.splitlines()[0])
                    result["errors"].append(
                        {"side": side.name, "variant": variant, "error": text, "traceback": traceback.format_exc()}
                    )
                    continue
                finally:
                    shutil.rmtree(workdir, ignore_errors=True)
                for key, reason in (values.pop("_skipped", None) or {}).items():
                    skipped[(side.name, variant, key)] = reason
                for key, value in values.items():
                    if value is not None:
                        samples.setdefault((side.name, variant, key), []).append(float(value))

    side_names = [s.name for s in workload.sides]
    for variant in variants:
        for m in workload.metrics:
            row: dict[str, Any] = {
                "variant": variant,
                "metric": m.key,
                "label": m.label,
                "unit": m.unit,
                "higher_is_better": m.higher_is_better,
                "signed": m.signed,
                "sides": {},
            }
            for name in side_names:
                key = (name, variant, m.key)
                if key in samples:
                    row["sides"][name] = summarize(samples[key])
                elif key in skipped:
                    row["sides"][name] = {"skipped": skipped[key]}
            if not row["sides"]:
                continue  # this metric does not exist for this variant
            fb = row["sides"].get(FLAREBIND, {}).get("median")
            mf = row["sides"].get(MINIFLARE, {}).get("median")
            sq = row["sides"].get(SQLITE3, {}).get("median")
            row["ratio_miniflare"] = fb / mf if fb is not None and mf else None
            row["ratio_sqlite3"] = fb / sq if fb is not None and sq else None
            result["metrics"].append(row)

    lookup = Lookup(result["metrics"])
    for target in workload.targets:
        try:
            met, detail = target.check(lookup)
        except Exception as exc:  # a target that cannot be evaluated is reported, never guessed
            met, detail = None, f"could not evaluate: {type(exc).__name__}: {exc}"
        result["targets"].append({"text": target.text, "met": met, "detail": detail})

    measured = any(FLAREBIND in r["sides"] and "median" in r["sides"][FLAREBIND] for r in result["metrics"])
    if result["errors"]:
        result["status"] = "error: " + result["errors"][0]["error"].splitlines()[0]
    elif not measured:
        reasons = sorted({v for (side, _, _), v in skipped.items() if side == FLAREBIND})
        result["status"] = "skipped: " + ("; ".join(reasons) or "nothing measured")
    else:
        result["status"] = "ok"
    result["seconds"] = round(time.time() - started, 1)
    return result


# ---- running the sides in child processes -------------------------------------------------------------------


def _last_json_line(stdout: str) -> dict[str, Any]:
    for line in reversed(stdout.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            return json.loads(line)
    raise RuntimeError("no JSON result line in the output")


def run_python_child(target: str, params: dict[str, Any], timeout: float = 1800) -> dict[str, Any]:
    """Run ``module:function(params)`` in a fresh Python process (own memory, own CPU accounting); return its dict."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    proc = subprocess.run(
        [sys.executable, "-m", "bench.child", target, json.dumps(params)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-15:]
        raise RuntimeError(f"{target} exited {proc.returncode}:\n" + "\n".join(tail))
    out = _last_json_line(proc.stdout)
    if "skip" in out:
        raise Skip(out["skip"])
    return out


def node_root() -> Path:
    try:
        from flarebind.testing.node import ensure_node_packages
    except ImportError as exc:  # pragma: no cover - core is always installed with the bench
        raise Skip(f"flarebind.testing.node is not importable ({exc})") from exc
    try:
        return ensure_node_packages()
    except Exception as exc:
        raise Skip(f"node packages unavailable: {exc}") from exc


def node_environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    from flarebind.testing.node import node_env

    env = node_env(extra)
    env["FLAREBIND_NODE_ROOT"] = str(node_root())
    return env


def run_node(script: str, plan: dict[str, Any], timeout: float = 1800) -> dict[str, Any]:
    """Run ``bench/node/<script>`` with a JSON plan as argv[2]; return its JSON result line."""
    node = shutil.which("node")
    if not node:
        raise Skip("node is not installed")
    proc = subprocess.run(
        [node, str(NODE_DIR / script), json.dumps(plan)],
        cwd=NODE_DIR,
        env=node_environment(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-15:]
        raise RuntimeError(f"node {script} exited {proc.returncode}:\n" + "\n".join(tail))
    return _last_json_line(proc.stdout)


def module_missing(*modules: str) -> str | None:
    """The first of ``modules`` that cannot be imported, as a reason text, else None."""
    import importlib

    for name in modules:
        mod, _, attr = name.partition(":")
        try:
            loaded = importlib.import_module(mod)
        except Exception as exc:
            return f"{mod} is not importable yet ({type(exc).__name__}: {exc})"
        if attr and not hasattr(loaded, attr):
            return f"{mod}.{attr} does not exist yet"
    return None
