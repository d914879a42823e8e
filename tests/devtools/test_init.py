"""`flarebind init`: each template gives a project that `flarebind dev` serves, whose own test passes with the
pytest plugin, and that `flarebind doctor` finds deployable."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.devproc import DevProcess


def flarebind(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flarebind", *args], cwd=cwd, capture_output=True, text=True, check=False
    )


@pytest.mark.parametrize(
    ("template", "path", "expected"),
    [
        ("hello", "/", "Hello from my-app!"),
        ("fastapi", "/", '{"message":"Hello from my-app!"}'),
        ("d1", "/notes", "[]"),
    ],
)
def test_a_template_runs_under_dev_and_its_test_passes(tmp_path: Path, template: str, path: str, expected: str) -> None:
    created = flarebind("init", "my-app", "--template", template, cwd=tmp_path)
    assert created.returncode == 0, created.stderr
    project = tmp_path / "my-app"
    assert {p.name for p in project.iterdir()} >= {"wrangler.toml", "pyproject.toml", "src", "tests", ".gitignore"}
    dev = DevProcess(project, "--no-watch")
    try:
        dev.wait_for_output("Ready on")
        response = dev.get(path)
        assert response.status_code == 200 and response.text == expected
    finally:
        dev.stop()
    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=project, capture_output=True, text=True
    )
    assert tests.returncode == 0 and " passed" in tests.stdout, tests.stdout + tests.stderr
    doctor = json.loads(flarebind("doctor", "--json", cwd=project).stdout)
    assert doctor["ok"], doctor


@pytest.mark.parametrize("template", ["durable-object", "workflow"])
def test_templates_this_version_cannot_run_say_why(tmp_path: Path, template: str) -> None:
    result = flarebind("init", "x", "--template", template, cwd=tmp_path)
    assert result.returncode == 1
    assert f"the {template} template is not available" in result.stderr and "not simulated" in result.stderr
    assert not (tmp_path / "x").exists()


def test_init_never_overwrites_and_checks_the_name(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "wrangler.toml").write_text("mine")
    result = flarebind("init", "app", cwd=tmp_path)
    assert result.returncode == 1 and "already exist" in result.stderr
    assert (tmp_path / "app" / "wrangler.toml").read_text() == "mine"
    bad = flarebind("init", "other", "--name", "Not_A_Name", cwd=tmp_path)
    assert bad.returncode == 1 and "cannot name a Worker" in bad.stderr
