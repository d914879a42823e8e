"""Dependencies against what Python Workers can load: a pure-Python wheel, or a package the Pyodide distribution
that the Workers runtime uses ships (``data/pyodide-<version>.json``, refreshed by
``scripts/refresh_pyodide_packages.py``).

The authority is ``uv.lock`` when there is one (it names every wheel of every package the Worker depends on);
without it only the names in ``pyproject.toml`` are known, and a vendored ``python_modules/`` is inspected for
compiled extensions.
"""

from __future__ import annotations

import functools
import json
import re
import sys
from importlib import resources
from pathlib import Path
from typing import Any

from flarebind.doctor.findings import Finding

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

PYODIDE_VERSION = "0.27.7"
"""The newest Pyodide whose complete package lock we could verify (workerd's ``python_workers_20250116`` bundle
shipped 0.27.7 before moving to 0.28.2; see docs/doctor.md)."""

_NATIVE_SUFFIXES = (".so", ".pyd", ".dylib")


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@functools.cache
def pyodide_packages() -> dict[str, Any]:
    text = resources.files("flarebind.doctor").joinpath(f"data/pyodide-{PYODIDE_VERSION}.json").read_text("utf-8")
    data = json.loads(text)
    return {normalize(k): v for k, v in data["packages"].items()}


def _requirement_name(spec: str) -> str | None:
    m = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", spec)
    return normalize(m.group(1)) if m else None


def _declared(root: Path) -> tuple[list[str], Path | None]:
    pyproject = root / "pyproject.toml"
    if not pyproject.is_file():
        return [], None
    data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    names = [n for n in (_requirement_name(s) for s in data.get("project", {}).get("dependencies", [])) if n]
    return names, pyproject


def _wheel_is_pure(filename: str) -> bool:
    # name-version(-build)?-python-abi-platform.whl: pure wheels are for any platform with no ABI
    parts = filename[: -len(".whl")].split("-")
    return len(parts) >= 5 and parts[-1] == "any" and parts[-2] == "none"


def _lock_runtime_packages(lock: dict[str, Any], roots: list[str]) -> dict[str, dict[str, Any]]:
    """The packages reachable from ``roots`` through runtime (not dev-group) dependencies."""
    by_name = {normalize(p["name"]): p for p in lock.get("package", [])}
    seen: dict[str, dict[str, Any]] = {}
    todo = list(roots)
    while todo:
        name = todo.pop()
        if name in seen or name not in by_name:
            continue
        pkg = by_name[name]
        seen[name] = pkg
        todo.extend(normalize(d["name"]) for d in pkg.get("dependencies", []))
    return seen


def _native_only(name: str, version: str, where: Path, line: int | None) -> Finding:
    return Finding(
        "error",
        "dependencies",
        f"{name} {version} has no pure-Python wheel and is not in Pyodide {PYODIDE_VERSION}'s packages: "
        "Python Workers cannot load it",
        f"replace {name} with a pure-Python alternative or a package Pyodide ships "
        f"(https://pyodide.org/en/{PYODIDE_VERSION}/usage/packages-in-pyodide.html), or move the code that needs "
        "it out of the Worker",
        where,
        line,
    )


def _line_of(path: Path, needle: str) -> int | None:
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if text.strip() == needle or text.startswith(needle):
            return number
    return None


def check(project: Any) -> list[Finding]:
    root: Path = project.root
    findings: list[Finding] = []
    known = pyodide_packages()
    requirements = root / "requirements.txt"
    if requirements.is_file():
        findings.append(
            Finding(
                "warning",
                "dependencies",
                "requirements.txt is not read by pywrangler: Python Workers take dependencies from pyproject.toml",
                "move the requirements into [project] dependencies in pyproject.toml",
                requirements,
            )
        )
    declared, pyproject = _declared(root)
    lock_path = root / "uv.lock"
    if lock_path.is_file() and pyproject is not None:
        lock = tomllib.loads(lock_path.read_text(encoding="utf-8"))
        for name, pkg in sorted(_lock_runtime_packages(lock, declared).items()):
            if name in known or normalize(name) in ("workers-runtime-sdk", "workers-py"):
                continue
            wheels = [Path(w.get("url", w.get("path", ""))).name for w in pkg.get("wheels", [])]
            if any(_wheel_is_pure(w) for w in wheels):
                continue
            if not wheels:  # sdist only: a pure-Python sdist builds a pure wheel; we cannot tell without building
                findings.append(
                    Finding(
                        "warning",
                        "dependencies",
                        f"{name} {pkg.get('version', '')} ships only a source distribution: doctor cannot tell "
                        "whether it builds a pure-Python wheel",
                        f"check that `uv build` of {name} gives a py3-none-any wheel",
                        lock_path,
                        _line_of(lock_path, f'name = "{pkg["name"]}"'),
                    )
                )
                continue
            findings.append(
                _native_only(
                    pkg["name"], pkg.get("version", ""), lock_path, _line_of(lock_path, f'name = "{pkg["name"]}"')
                )
            )
        return findings
    vendored = root / "python_modules"
    for name in declared:
        if name in known:
            continue
        native = _vendored_native(vendored, name)
        if native is not None:
            findings.append(_native_only(name, "", pyproject or root, _line_of(pyproject, name) if pyproject else None))
        elif not vendored.is_dir():
            findings.append(
                Finding(
                    "warning",
                    "dependencies",
                    f"{name} is not in Pyodide {PYODIDE_VERSION}'s packages and there is no uv.lock saying which "
                    "wheels it has",
                    "run `uv lock` so doctor can check that it has a pure-Python wheel",
                    pyproject,
                    _line_of(pyproject, name) if pyproject else None,
                )
            )
    return findings


def _vendored_native(vendored: Path, name: str) -> Path | None:
    if not vendored.is_dir():
        return None
    for candidate in {name.replace("-", "_"), name}:
        folder = vendored / candidate
        if folder.is_dir():
            for path in folder.rglob("*"):
                if path.suffix in _NATIVE_SUFFIXES or ".so." in path.name:
                    return path
    return None
