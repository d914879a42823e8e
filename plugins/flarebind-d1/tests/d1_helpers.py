"""Helpers for the D1 plugin tests (a uniquely named module: every plugin's tests share one sys.path)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

FLAREBIND = str(Path(sys.executable).with_name("flarebind"))


def flarebind(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, NO_COLOR="1", PYTHONUNBUFFERED="1")
    return subprocess.run([FLAREBIND, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def ok(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout
