"""Probe-style reliability tests: each is bounded (a few seconds) and uses real files, processes and sockets."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/ -> `e2e` (the dev process helper) importable
