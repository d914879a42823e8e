"""Developer and CI sessions. `nox -s tests` is the README's test command; `.ci/run` runs it on a fresh machine."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import nox

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.sessions = ["tests", "smoke"]
# a listed Python that is not installed fails the run instead of being skipped: CI must prove every version
nox.options.error_on_missing_interpreters = True

ROOT = Path(__file__).parent
PLUGINS = sorted(p.name for p in (ROOT / "plugins").iterdir() if (p / "pyproject.toml").exists())

# The supported Pythons (README "Supported Python versions"). 3.11 runs the whole suite; the others run the unit and
# local conformance suites (see `tests`). 3.14 joins when an interpreter is on PATH (uv cannot download one offline).
FULL_PYTHON = "3.11"
PYTHONS = ["3.10", "3.11", "3.12", "3.13"] + (["3.14"] if shutil.which("python3.14") else [])
# What a version other than FULL_PYTHON leaves out: the workerd-backed remote path and wrangler interop (Node and
# workerd do the work there; the Python side is the same adapters the unit tests cover) and the slow crash/large-object
# tests (process and filesystem behaviour, not interpreter behaviour): ~1400 tests instead of ~1850.
MATRIX_DESELECT = "not wrangler and not remote and not slow"
# pytest-xdist: one worker per core, at most 4 (each worker starts its own workerd proxies for the remote tests). Much
# of the suite waits on real processes and sockets: on 2 cores, 3.11's whole suite took 5 min 55 s with two workers
# against 9.5-12 min serially (CI of the previous stop), so the four versions fit well under 30 min.
PYTEST_ARGS = ["-q", "-n", "auto", "--maxprocesses", "4"]


def sync(session: nox.Session, *groups: str) -> None:
    """Install the whole workspace (every distribution, editable) plus dependency groups into the session venv."""
    # --python: the session venv's own interpreter (the matrix version), never one uv would pick or download
    python = str(Path(session.virtualenv.location) / "bin" / "python")
    args = ["uv", "sync", "--all-packages", "--inexact", "--python", python]
    for group in groups:
        args += ["--group", group]
    session.run_install(*args, env={"UV_PROJECT_ENVIRONMENT": session.virtualenv.location}, external=True)


def node_packages(session: nox.Session) -> None:
    """wrangler + miniflare (pinned, Node 20) into the cache the tests and benchmarks use."""
    session.run("python", "-c", "from flarebind.testing.node import ensure_node_packages as e; print(e())")


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """On 3.11 every test: unit, conformance (local and, through workerd, remote), CLI end to end, wrangler interop.
    On the other versions: unit and local conformance (MATRIX_DESELECT), so the matrix stays well under 30 min."""
    sync(session, "test")
    if session.python == FULL_PYTHON:
        node_packages(session)
        env = {"FLAREBIND_CONFORMANCE_REMOTE": os.environ.get("FLAREBIND_CONFORMANCE_REMOTE", "1")}
        session.run("pytest", *(session.posargs or PYTEST_ARGS), env=env)
        return
    # the conformance conftest adds the remote mode for any non-empty value, so the variable is removed, not "0"
    env = {"FLAREBIND_CONFORMANCE_REMOTE": None}
    session.run("pytest", "-m", MATRIX_DESELECT, *(session.posargs or PYTEST_ARGS), env=env)


@nox.session
def conformance(session: nox.Session) -> None:
    """The binding conformance suites on the local simulators and on the remote path (proxy worker on workerd)."""
    sync(session, "test")
    node_packages(session)
    session.run("pytest", "tests/conformance", *(session.posargs or ["-q"]), env={"FLAREBIND_CONFORMANCE_REMOTE": "1"})


@nox.session
def lint(session: nox.Session) -> None:
    """ruff (rules and formatting) and the import contracts in pyproject.toml ([tool.importlinter])."""
    sync(session, "lint")
    session.run("ruff", "check", "core", "plugins", "tests", "bench", "noxfile.py", *session.posargs)
    session.run("ruff", "format", "--check", "core", "plugins", "tests", "bench", "noxfile.py")
    session.run("lint-imports", "--no-logo")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy, strict on the core's contract modules."""
    sync(session, "typecheck")
    session.run(
        "mypy",
        "--strict",
        "core/src/flarebind/hookspecs.py",
        "core/src/flarebind/plugins.py",
        "core/src/flarebind/plugin.py",
        "core/src/flarebind/bindings",
        "core/src/flarebind/storage",
        "core/src/flarebind/errors.py",
        "core/src/flarebind/jsobject.py",
        *session.posargs,
    )


@nox.session
def smoke(session: nox.Session) -> None:
    """Build wheels, install core plus one plugin into a fresh venv: `flarebind plugins` lists exactly that one."""
    dist = Path(session.create_tmp()) / "dist"
    session.run("uv", "build", "--quiet", "--wheel", "--out-dir", str(dist), "core", external=True)
    session.run("uv", "build", "--quiet", "--wheel", "--out-dir", str(dist), "plugins/flarebind-kv", external=True)
    venv = Path(session.create_tmp()) / "smoke-venv"
    session.run("uv", "venv", "--quiet", str(venv), external=True)
    python = str(venv / "bin" / "python")
    wheels = sorted(str(p) for p in dist.glob("*.whl"))
    session.run("uv", "pip", "install", "--quiet", "--python", python, *wheels, external=True)
    check = (
        "import json, subprocess, sys; "
        f"out = subprocess.run([{str(venv / 'bin' / 'flarebind')!r}, 'plugins', '--json'], capture_output=True, "
        "text=True, check=True).stdout; data = json.loads(out); "
        "names = [p['name'] for p in data['plugins']]; "
        "assert names == ['kv'], names; assert data['errors'] == [], data['errors']; "
        "assert data['plugins'][0]['distribution'] == 'flarebind-kv'; print('smoke ok:', names)"
    )
    session.run(python, "-c", check, external=True)


@nox.session(default=False)
def bench(session: nox.Session) -> None:
    """Benchmarks side by side with Miniflare: `nox -s bench -- [--quick] [WORKLOAD …]`."""
    sync(session, "test", "bench")
    node_packages(session)
    session.run("python", "-m", "bench", *session.posargs)
