"""The benchmark harness's CI smoke: `python -m bench --quick` as a real process, every workload produces results.

Also checks the harness's own arithmetic (medians, min/max, ratios, side rotation) on a workload made of plain
functions, so a broken summary cannot hide behind real measurements.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
# bench/ is a folder of the repository, not an installed distribution
sys.path.insert(0, str(REPO))

from bench.harness import FLAREBIND, MINIFLARE, SQLITE3, MetricDef, Side, Skip, Target, Workload, run_workload  # noqa: E402
from bench.workloads import all_workloads  # noqa: E402


@pytest.mark.wrangler
def test_quick_run_measures_every_workload(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--results-dir", str(tmp_path)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr[-5000:]
    results = json.loads((tmp_path / "latest.json").read_text())
    assert results["quick"] is True
    assert results["machine"]["nproc"] >= 1
    assert results["versions"]["miniflare"] == "4.20260426.0"
    assert results["versions"]["wrangler"] == "4.86.0"

    registry = all_workloads()
    assert set(results["workloads"]) == set(registry)
    for name, result in results["workloads"].items():
        status = result["status"]
        assert not status.startswith("error"), f"{name}: {status}\n{result['errors']}"
        if status.startswith("skipped"):
            # only allowed when the code it needs really is missing in this installation, and it says what
            missing = registry[name].requires()
            assert missing, f"{name} was skipped ({status}) although its requirements are installed"
            assert missing in status
            continue
        assert status == "ok"
        rows = result["metrics"]
        assert rows, f"{name}: no metrics"
        sides = {s.name for s in registry[name].sides}
        for row in rows:
            for side in sides:
                stats = row["sides"].get(side)
                assert stats is not None, f"{name} {row['variant']} {row['metric']}: nothing from {side}"
                if "skipped" in stats:
                    # flarebind may lack an optional dependency; a sqlite3 ceiling exists only for storage metrics
                    assert side in (FLAREBIND, SQLITE3) and stats["skipped"], f"{name}: {side} skipped {row['metric']}"
                    continue
                assert len(stats["samples"]) == 1
                value = stats["median"]
                assert math.isfinite(value), f"{name} {row['metric']} {side}: {value}"
                if row["unit"] != "count" and not row.get("signed"):
                    assert value > 0, f"{name} {row['metric']} {side}: {value}"
            if "median" in row["sides"].get(FLAREBIND, {}) and "median" in row["sides"].get(MINIFLARE, {}):
                expected = row["sides"][FLAREBIND]["median"] / row["sides"][MINIFLARE]["median"]
                assert row["ratio_miniflare"] == pytest.approx(expected)
        for target in result["targets"]:
            assert target["met"] in (True, False, None) and target["detail"]


def test_harness_alternates_sides_and_summarizes(tmp_path: Path) -> None:
    calls: list[tuple[str, str]] = []
    values = {FLAREBIND: iter([30.0, 10.0, 20.0]), MINIFLARE: iter([2.0, 4.0, 1.0])}

    def side(name: str):
        def run(variant: str, params: dict, workdir: Path) -> dict:
            assert workdir.is_dir() and params == {"n": 1}
            calls.append((name, variant))
            return {"ops": next(values[name])}

        return run

    def never(variant: str, params: dict, workdir: Path) -> dict:
        raise Skip("the thing is missing")

    workload = Workload(
        name="fake",
        title="Fake",
        description="plain functions",
        metrics=[MetricDef("ops", "ops", "ops/s")],
        sides=[Side(FLAREBIND, side(FLAREBIND)), Side(MINIFLARE, side(MINIFLARE)), Side("sqlite3", never)],
        variants=lambda quick: ["disk"],
        params=lambda quick: {"n": 1},
        reps=lambda quick: 3,
        targets=[
            Target(
                "≥ 5× Miniflare", lambda v: (v(FLAREBIND, "disk", "ops") / v(MINIFLARE, "disk", "ops") >= 5, "ratio")
            )
        ],
    )
    result = run_workload(workload, quick=False, log=lambda text: None)
    assert result["status"] == "ok"
    # the first side rotates every repetition
    assert [c[0] for c in calls] == [FLAREBIND, MINIFLARE, MINIFLARE, FLAREBIND, FLAREBIND, MINIFLARE]
    (row,) = result["metrics"]
    assert row["sides"][FLAREBIND] == {"samples": [30.0, 10.0, 20.0], "median": 20.0, "min": 10.0, "max": 30.0}
    assert row["sides"][MINIFLARE]["median"] == 2.0
    assert row["sides"]["sqlite3"] == {"skipped": "the thing is missing"}
    assert row["ratio_miniflare"] == 10.0
    assert row["ratio_sqlite3"] is None
    assert result["targets"] == [{"text": "≥ 5× Miniflare", "met": True, "detail": "ratio"}]


def test_harness_reports_errors_and_missing_code() -> None:
    def broken(variant: str, params: dict, workdir: Path) -> dict:
        raise RuntimeError("boom")

    base = dict(
        title="Fake",
        description="d",
        metrics=[MetricDef("ops", "ops", "ops/s")],
        variants=lambda quick: ["x"],
        params=lambda quick: {},
    )
    failed = run_workload(Workload(name="f", sides=[Side(FLAREBIND, broken)], **base), True, lambda t: None)
    assert failed["status"] == "error: flarebind / x: RuntimeError: boom"
    skipped = run_workload(
        Workload(name="s", sides=[Side(FLAREBIND, broken)], requires=lambda: "x.y is missing", **base),
        True,
        lambda t: None,
    )
    assert skipped["status"] == "skipped: x.y is missing"
    assert skipped["metrics"] == []
