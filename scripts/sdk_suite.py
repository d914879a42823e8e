"""Run Cloudflare's own Python Workers SDK test suite (cloudflare/workers-py ``packages/runtime-sdk/tests``) against
``flarebind dev``, with only the launcher swapped.

Upstream, a host-side pytest starts ``pywrangler sync`` + ``pywrangler dev`` for each test Worker (bindings,
FastAPI, Django) and asks its ``/run-tests/<suite>`` endpoints, which run pytest *inside* the Worker's fetch handler.
Here the same host tests run unchanged except for the three launcher lines of their ``conftest.py``:

- ``pywrangler sync`` (install the Worker's ``[project] dependencies`` into ``python_modules/`` for Pyodide) becomes
  ``uv pip install --target python_modules`` for the interpreter that runs flarebind;
- ``pywrangler dev --port N --persist-to DIR`` becomes ``flarebind dev --port N --persist-to DIR --no-watch``;
- readiness is the same (``GET /health``).

The upstream conftest also copies the real SDK (``src/``) into ``python_modules/``; that stays, and flarebind's shims
still win (see docs/fidelity.md, "Running the real SDK"). The checkout is never copied into this repository:

    # fetch github:cloudflare/workers-py (a bare git dir), then, for each interpreter:
    .venv/bin/python scripts/sdk_suite.py --workers-py /path/to/workers-py.git --flarebind .venv/bin/flarebind
    .venv/bin/python scripts/sdk_suite.py --workers-py … --flarebind /tmp/venv-3.13/bin/flarebind --json out.json

The host side needs ``pytest`` and ``requests``; they come from ``uv run --with`` (not flarebind's dependencies).
Results are counted per test module and per upstream compatibility configuration (their ``3.12``/``3.13``/``3.14``
ids name the Pyodide runtime a config selects; under flarebind the Worker runs on the interpreter given here).
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

SDK_DIR = "packages/runtime-sdk"
HOST_MODULES = ["tests/test_bindings.py", "tests/test_fastapi.py", "tests/test_web_frameworks.py"]

# The upstream launcher lines (conftest.py of workers-py b00837d) and what replaces them.
UPSTREAM_CMD = 'pywrangler_cmd = ["uv", "run", "--no-project", "--with", WORKERS_PY, "pywrangler"]'
UPSTREAM_SYNC = """    subprocess.run(
        [*pywrangler_cmd, "sync"],
        cwd=target,
        check=True,
        env=env,
    )"""
UPSTREAM_DEV = """                *pywrangler_cmd,
                "dev","""
LAUNCHER_CMD = "pywrangler_cmd = [os.environ['FLAREBIND_SDK_SUITE_BIN']]"
LAUNCHER_SYNC = """    import tomllib as _tomllib
    _deps = _tomllib.loads((target / "pyproject.toml").read_text())["project"]["dependencies"]
    subprocess.run(
        ["uv", "pip", "install", "--quiet", "--target", str(target / "python_modules"),
         "--python", os.environ["FLAREBIND_SDK_SUITE_PYTHON"], *_deps],
        cwd=target,
        check=True,
        env=env,
    )"""
LAUNCHER_DEV = """                *pywrangler_cmd,
                "dev", "--no-watch","""


def export_sdk(workers_py: Path, dest: Path) -> Path:
    """``packages/runtime-sdk`` of a workers-py checkout or bare git dir, copied to ``dest``."""
    if (workers_py / SDK_DIR).is_dir():
        shutil.copytree(workers_py / SDK_DIR, dest / SDK_DIR)
    else:
        archive = subprocess.run(
            ["git", f"--git-dir={workers_py}", "archive", "HEAD", SDK_DIR], check=True, capture_output=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return dest / SDK_DIR


def swap_launcher(conftest: Path) -> None:
    text = conftest.read_text()
    for old, new in ((UPSTREAM_CMD, LAUNCHER_CMD), (UPSTREAM_SYNC, LAUNCHER_SYNC), (UPSTREAM_DEV, LAUNCHER_DEV)):
        if old not in text:
            raise SystemExit(f"{conftest}: the upstream launcher line changed; update scripts/sdk_suite.py:\n{old}")
        text = text.replace(old, new)
    conftest.write_text(text)


def tally(junit: Path) -> dict[str, dict[str, int]]:
    """``{"test_bindings.py[3.13]": {"passed": n, "failed": n, "skipped": n}, …}`` from pytest's JUnit XML."""
    counts: dict[str, dict[str, int]] = collections.defaultdict(lambda: collections.Counter())
    for case in ET.parse(junit).getroot().iter("testcase"):
        parts = case.get("classname", "").split(".")
        module = next((p for p in parts if p.startswith("test_")), parts[0]) + ".py"
        name = case.get("name", "")
        config = name[name.find("[") + 1 : -1] if "[" in name else "-"
        if case.find("skipped") is not None:
            outcome = "skipped"
        elif case.find("failure") is not None or case.find("error") is not None:
            outcome = "failed"
        else:
            outcome = "passed"
        counts[f"{module}[{config}]"][outcome] += 1
    return {k: dict(v) for k, v in sorted(counts.items())}


def failures_by_class(junit: Path) -> dict[str, int]:
    """Failed tests per upstream test class (one class per in-Worker suite: TestKV, TestDO, …)."""
    counts: collections.Counter[str] = collections.Counter()
    for case in ET.parse(junit).getroot().iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            counts[case.get("classname", "").split(".")[-1]] += 1
    return dict(sorted(counts.items()))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers-py", required=True, type=Path, help="cloudflare/workers-py checkout or git dir")
    parser.add_argument("--flarebind", default=".venv/bin/flarebind", type=Path, help="the flarebind to launch")
    parser.add_argument("--json", type=Path, help="write the counts here")
    parser.add_argument("--keep", action="store_true", help="keep the temporary copy (printed)")
    parser.add_argument("pytest_args", nargs="*", help="extra host pytest arguments (e.g. -k 'TestKV')")
    args = parser.parse_args()

    flarebind = args.flarebind.absolute()
    python = flarebind.parent / "python"
    version = subprocess.run(
        [python, "-c", "import sys; print(sys.version.split()[0])"], capture_output=True, text=True, check=True
    ).stdout.strip()
    work = Path(tempfile.mkdtemp(prefix="flarebind-sdk-suite-"))
    try:
        sdk = export_sdk(args.workers_py.absolute(), work)
        swap_launcher(sdk / "tests" / "conftest.py")
        junit = work / "junit.xml"
        env = {
            **os.environ,
            "FLAREBIND_SDK_SUITE_BIN": str(flarebind),
            "FLAREBIND_SDK_SUITE_PYTHON": str(python),
            "WRANGLER_SEND_METRICS": "false",
        }
        command = [
            "uv",
            "run",
            "--no-project",
            "--python",
            sys.executable,
            "--with",
            "pytest",
            "--with",
            "requests",
            "pytest",
            *HOST_MODULES,
            "-q",
            "-p",
            "no:cacheprovider",
            f"--junitxml={junit}",
            *args.pytest_args,
        ]
        print(f"flarebind {flarebind} (Python {version}); in {sdk}:\n  {' '.join(command)}", flush=True)
        subprocess.run(command, cwd=sdk, env=env)
        counts = tally(junit)
        total = collections.Counter()
        for row in counts.values():
            total.update(row)
        summary = {
            "python": version,
            "modules": counts,
            "total": dict(total),
            "failed_by_class": failures_by_class(junit),
        }
        print(json.dumps(summary, indent=2))
        if args.json:
            args.json.write_text(json.dumps(summary, indent=2) + "\n")
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
