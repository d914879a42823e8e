from __future__ import annotations

import textwrap
from pathlib import Path

import pytest


@pytest.fixture
def write_config(tmp_path: Path):
    """Write a config file (dedented) into tmp_path and return its path."""

    def write(text: str, name: str = "wrangler.toml", directory: Path | None = None) -> Path:
        folder = directory or tmp_path
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / name
        path.write_text(textwrap.dedent(text).lstrip())
        return path

    return write
