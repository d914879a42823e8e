"""``python -m bench [--quick] [WORKLOAD ...]``: run the workloads, write results JSON, render the docs."""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from pathlib import Path
from typing import Any

from bench.harness import REPO, run_workload
from bench.machine import machine_info, versions
from bench.render import render_markdown, render_plot
from bench.workloads import all_workloads

RESULTS = REPO / "bench" / "results"
DOCS = REPO / "docs"


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def main(argv: list[str] | None = None) -> int:
    workloads = all_workloads()
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "workloads", nargs="*", metavar="WORKLOAD", help=f"any of: {', '.join(workloads)} (default: all)"
    )
    parser.add_argument("--quick", action="store_true", help="tiny sizes, one repetition: checks every workload runs")
    parser.add_argument("--reps", type=int, help="repetitions per side (default: 3, or 1 with --quick)")
    parser.add_argument(
        "--results-dir",
        type=Path,
        help="where to write results JSON (default: bench/results, or bench/results/quick with --quick)",
    )
    parser.add_argument(
        "--docs",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="render docs/performance.md and .png (default: yes for a full run, no with --quick)",
    )
    parser.add_argument("--note", help="a line about the run's context, shown in the docs")
    args = parser.parse_args(argv)
    unknown = [w for w in args.workloads if w not in workloads]
    if unknown:
        parser.error(f"unknown workload(s) {', '.join(unknown)}; choose from {', '.join(workloads)}")
    selected = args.workloads or list(workloads)
    results_dir = args.results_dir or (RESULTS / "quick" if args.quick else RESULTS)
    render_docs = (not args.quick) if args.docs is None else args.docs
    raw = list(argv if argv is not None else sys.argv[1:])
    if args.note:  # the note describes the run; it is not part of the command to reproduce it
        i = raw.index("--note") if "--note" in raw else -1
        raw = raw[:i] + raw[i + 2 :] if i >= 0 else [a for a in raw if not a.startswith("--note=")]
    command = "python -m bench " + " ".join(shlex.quote(a) for a in raw)

    def log(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    run: dict[str, Any] = {
        "command": command.strip(),
        "quick": args.quick,
        "started": _now(),
        "machine": machine_info(),
        "versions": versions(),
        "workloads": {},
    }
    if args.note:
        run["context_note"] = args.note
    for name in selected:
        workload = workloads[name]
        if args.reps:
            workload.reps = lambda quick, reps=args.reps: reps
        log(f"== {name}")
        load_before = machine_info()["loadavg"]
        result = run_workload(workload, args.quick, log)
        result["loadavg"] = [load_before, machine_info()["loadavg"]]
        result["measured_at"] = _now()
        result["command"] = run["command"]
        run["workloads"][name] = result
        log(f"== {name}: {result['status']} ({result.get('seconds', 0)} s)")
    run["finished"] = _now()

    results_dir.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    (results_dir / f"{stamp}.json").write_text(json.dumps(run, indent=1) + "\n")
    latest_path = results_dir / "latest.json"
    latest = run
    if latest_path.exists() and set(selected) != set(workloads):
        # a partial run updates its workloads in latest.json and keeps the others (each carries measured_at)
        previous = json.loads(latest_path.read_text())
        if previous.get("quick") == args.quick:
            merged = dict(previous.get("workloads", {}))
            merged.update(run["workloads"])
            latest = {**run, "workloads": {n: merged[n] for n in workloads if n in merged}}
            latest["command"] = previous.get("command", run["command"])
    latest_path.write_text(json.dumps(latest, indent=1) + "\n")
    log(f"results: {results_dir / f'{stamp}.json'} and {latest_path}")

    if render_docs:
        DOCS.mkdir(exist_ok=True)
        plotted = render_plot(latest, DOCS / "performance.png")
        (DOCS / "performance.md").write_text(render_markdown(latest, "performance.png" if plotted else None))
        log(
            f"rendered {DOCS / 'performance.md'}"
            + (" and performance.png" if plotted else " (no plot: matplotlib missing or no ratios)")
        )
    for name, result in run["workloads"].items():
        print(f"{name}: {result['status']}")
    return 1 if any(r["status"].startswith("error") for r in run["workloads"].values()) else 0


if __name__ == "__main__":
    sys.exit(main())
