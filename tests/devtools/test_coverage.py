"""Coverage of Worker code under flarebind's pytest plugin works with plain pytest-cov: the Worker's module is
loaded from its file, so coverage.py attributes each executed line to src/entry.py."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

pytest.importorskip("pytest_cov")


def run_with_coverage(project: Path) -> dict:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-o",
            "asyncio_mode=auto",
            "--cov=src",
            "--cov-report=json:cov.json",
            "tests",
        ],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads((project / "cov.json").read_text())["files"]["src/entry.py"]


def test_worker_code_is_measured_line_by_line(tmp_path: Path) -> None:
    project = tmp_path / "hello"
    shutil.copytree(REPO / "examples" / "hello", project, ignore=shutil.ignore_patterns(".wrangler"))
    entry = (project / "src" / "entry.py").read_text().splitlines()
    not_found = next(n for n, text in enumerate(entry, 1) if '"Not found"' in text)
    full = run_with_coverage(project)
    assert full["summary"]["percent_covered"] == 100.0
    assert not_found in full["executed_lines"]
    # drop the test that reaches the 404: exactly that line is reported missing
    tests = project / "tests" / "test_hello.py"
    text = tests.read_text()
    tests.write_text(text[: text.index("async def test_unknown_path_is_404")])
    partial = run_with_coverage(project)
    assert partial["missing_lines"] == [not_found]
