"""What the numbers were measured on: the machine and the versions of everything involved."""

from __future__ import annotations

import json
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench.harness import REPO


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def machine_info() -> dict[str, Any]:
    cpuinfo = _read("/proc/cpuinfo")
    model = next((line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if line.startswith("model name")), "")
    mhz = next((line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if line.startswith("cpu MHz")), "")
    mem_kib = next(
        (int(line.split()[1]) for line in _read("/proc/meminfo").splitlines() if line.startswith("MemTotal:")), 0
    )
    os_name = next(
        (
            line.split("=", 1)[1].strip('"')
            for line in _read("/etc/os-release").splitlines()
            if line.startswith("PRETTY_NAME=")
        ),
        platform.system(),
    )
    tmp = Path(os.environ.get("TMPDIR", "/tmp"))
    disk = ""
    try:
        out = subprocess.run(["df", "-T", "-h", str(tmp)], capture_output=True, text=True, timeout=10).stdout
        fields = out.splitlines()[1].split()
        disk = f"{fields[0]} ({fields[1]}, {fields[2]}) holding {tmp}"
    except Exception:
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu_model": model,
        "cpu_mhz": mhz,
        "ram_gib": round(mem_kib / 1024 / 1024, 1),
        "disk": disk,
        "os": os_name,
        "kernel": platform.release(),
        "loadavg": _read("/proc/loadavg").split()[:3],
    }


def _node_package_version(root: Path, name: str) -> str | None:
    try:
        return json.loads((root / "node_modules" / name / "package.json").read_text())["version"]
    except Exception:
        return None


def versions() -> dict[str, Any]:
    out: dict[str, Any] = {
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
    }
    try:
        from importlib.metadata import version

        out["flarebind"] = version("flarebind")
    except Exception:
        out["flarebind"] = None
    try:
        out["git_commit"] = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True, timeout=10
        ).stdout.strip()
    except Exception:
        out["git_commit"] = None
    node = shutil.which("node")
    if node:
        out["node"] = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=30).stdout.strip()
    try:
        from flarebind.testing.node import ensure_node_packages

        root = ensure_node_packages()
        out["wrangler"] = _node_package_version(root, "wrangler")
        out["miniflare"] = _node_package_version(root, "miniflare")
        out["workerd_package"] = _node_package_version(root, "workerd")
        workerd = root / "node_modules" / "workerd" / "bin" / "workerd"
        if workerd.exists():
            out["workerd"] = subprocess.run(
                [str(workerd), "--version"], capture_output=True, text=True, timeout=30
            ).stdout.strip()
    except Exception as exc:
        out["node_packages"] = f"unavailable: {exc}"
    out["python_executable"] = sys.executable
    return out
