"""`flarebind doctor` as a real process on fixture projects: each finding comes with its fix, errors exit 1."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
FIXTURE = Path(__file__).parent / "fixtures" / "doctor_broken"
WRANGLER = (
    'name = "w"\nmain = "src/entry.py"\ncompatibility_date = "2026-05-01"\ncompatibility_flags = ["python_workers"]\n'
)


def doctor(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flarebind", "doctor", *args], cwd=cwd, capture_output=True, text=True, check=False
    )


def line_of(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if line.startswith(text))


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    project = tmp_path / "broken"
    shutil.copytree(FIXTURE, project)
    # an oversized vendored folder: a sparse 65 MiB file (no disk cost), over the 64 MiB Worker size limit
    blob = project / "python_modules" / "bigdata" / "model.bin"
    blob.parent.mkdir(parents=True)
    with blob.open("wb") as f:
        f.truncate(65 * 1024 * 1024)
    return project


def test_the_broken_fixture_reports_all_four_problems_with_fixes(broken: Path) -> None:
    result = doctor("--json", cwd=broken)
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] is False
    errors = {(f["check"], f["message"].split(":")[0]): f for f in report["findings"] if f["level"] == "error"}
    native = errors[
        ("dependencies", "psycopg2-binary 2.9.10 has no pure-Python wheel and is not in Pyodide 0.27.7's packages")
    ]
    assert native["file"] == "uv.lock" and native["line"] is not None and "replace psycopg2-binary" in native["fix"]
    size = next(f for f in report["findings"] if f["check"] == "size")
    assert size["level"] == "error" and "64 MiB" in size["message"]
    assert "python_modules/bigdata" in size["fix"]
    thread = next(f for f in report["findings"] if "threading.Thread() runs at import time" in f["message"])
    assert (
        thread["level"] == "error"
        and thread["file"] == "src/entry.py"
        and thread["line"] == line_of(broken / "src" / "entry.py", "threading.Thread(")
    )
    assert "into the handler" in thread["fix"]
    flag = next(f for f in report["findings"] if "python_workflows" in f["message"])
    assert (
        flag["level"] == "error"
        and flag["file"] == "src/jobs.py"
        and flag["line"] == line_of(broken / "src" / "jobs.py", "class Nightly")
    )  # found via the import
    assert "python_workflows" in flag["fix"]
    # fastapi has a pure wheel: not reported
    assert not any("fastapi" in f["message"] for f in report["findings"])


def test_the_human_report_names_each_fix(broken: Path) -> None:
    result = doctor(cwd=broken)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    errors = [i for i, line in enumerate(lines) if line.startswith("✘ [ERROR]")]
    assert len(errors) >= 4
    assert all(lines[i + 1].startswith("  fix: ") for i in errors)


def test_fixing_the_findings_clears_them(broken: Path) -> None:
    shutil.rmtree(broken / "python_modules")
    (broken / "uv.lock").unlink()
    (broken / "pyproject.toml").write_text('[project]\nname = "x"\nversion = "0"\ndependencies = ["fastapi"]\n')
    entry = broken / "src" / "entry.py"
    entry.write_text(entry.read_text().replace("threading.Thread(target=poll, daemon=True).start()", ""))
    toml = broken / "wrangler.toml"
    toml.write_text(toml.read_text().replace('["python_workers"]', '["python_workers", "python_workflows"]'))
    result = doctor("--json", cwd=broken)
    report = json.loads(result.stdout)
    # `import threading` alone and fastapi without a lock are still worth warnings, but nothing is an error
    assert result.returncode == 0, report
    found = sorted((f["level"], f["message"].split(":")[0]) for f in report["findings"])
    assert found == [
        ("warning", "fastapi is not in Pyodide 0.27.7's packages and there is no uv.lock saying which wheels it has"),
        ("warning", "imports threading"),
    ]


@pytest.mark.parametrize("example", ["hello", "d1", "kv", "r2"])
def test_the_examples_report_nothing(example: str) -> None:
    result = doctor("--json", "-c", str(REPO / "examples" / example), cwd=REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stdout)["findings"] == []


def test_the_plan_picks_the_former_compressed_limit(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "entry.py").write_text("from workers import WorkerEntrypoint\n")
    (tmp_path / "wrangler.toml").write_text(WRANGLER)
    data = tmp_path / "python_modules" / "blobs" / "noise.bin"
    data.parent.mkdir(parents=True)
    data.write_bytes(os.urandom(4 * 1024 * 1024))  # incompressible: 4 MiB compressed
    free = json.loads(doctor("--json", "--plan", "free", cwd=tmp_path).stdout)["findings"]
    paid = json.loads(doctor("--json", "--plan", "paid", cwd=tmp_path).stdout)["findings"]
    assert [(f["check"], f["level"]) for f in free] == [("size", "warning")] and "3 MB" in free[0]["message"]
    assert paid == []


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("import subprocess\n", "imports subprocess"),
        ("import random\nrandom.seed(4)\n", "random.seed() runs at import time"),
        ("import socket\ns = socket.socket()\n", "socket.socket() runs at import time"),
        ("from threading import Timer\nif True:\n    Timer(1, print).start()\n", "threading.Timer() runs at import"),
        ("import requests\n", "synchronous HTTP client"),
        ("open('data/out.txt', 'w')\n", "writes to 'data/out.txt'"),
        ("async def on_fetch(request):\n    pass\n", "module-level on_fetch"),
    ],
)
def test_cpython_only_code_is_found(tmp_path: Path, code: str, expected: str) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "entry.py").write_text("import helpers\n")
    (tmp_path / "src" / "helpers.py").write_text(code)
    (tmp_path / "wrangler.toml").write_text(WRANGLER)
    findings = json.loads(doctor("--json", cwd=tmp_path).stdout)["findings"]
    hits = [f for f in findings if expected in f["message"]]
    assert hits and hits[0]["file"] == "src/helpers.py" and hits[0]["fix"], findings


def test_work_inside_functions_is_not_import_time(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "entry.py").write_text(
        "import random\n\ndef handler():\n    random.seed(1)\n    open('/tmp/x', 'w')\n"
    )
    (tmp_path / "wrangler.toml").write_text(WRANGLER)
    result = doctor("--json", cwd=tmp_path)
    assert result.returncode == 0 and json.loads(result.stdout)["findings"] == []
