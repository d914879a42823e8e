from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "tests"))  # the repository's tests/: `fakes`

from fakes.openai_server import OpenAIStandIn

CONFIG = """\
name = "ai-test"
main = "entry.py"
compatibility_date = "2025-09-01"

[ai]
binding = "AI"
"""


@pytest.fixture
def standin():
    with OpenAIStandIn() as server:
        yield server


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "wrangler.toml").write_text(CONFIG)
    (tmp_path / "entry.py").write_text("")
    return tmp_path


@pytest.fixture
def provider(monkeypatch, standin):
    """FLAREBIND_AI_PROVIDER pointed at the stand-in; plugins re-read so AI may run locally."""
    from flarebind.plugins import reset_plugins

    monkeypatch.setenv("FLAREBIND_AI_PROVIDER", standin.url)
    for name in ("FLAREBIND_AI_MODEL_MAP", "FLAREBIND_AI_TIMEOUT", "FLAREBIND_AI_MAX_CALLS"):
        monkeypatch.delenv(name, raising=False)
    reset_plugins()
    yield standin
    reset_plugins()
