from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


@pytest.fixture
def flarebind_cmd() -> list[str]:
    """The installed `flarebind` console script of this environment (a real process)."""
    return [str(BIN / "flarebind")]


@pytest.fixture
def clean_env(monkeypatch) -> dict[str, str]:
    for name in ("CLOUDFLARE_ENV", "FLAREBIND_LOAD_PLUGINS", "FLAREBIND_DISABLE_PLUGINS"):
        monkeypatch.delenv(name, raising=False)
    env = dict(os.environ)
    env["NO_COLOR"] = "1"
    return env
