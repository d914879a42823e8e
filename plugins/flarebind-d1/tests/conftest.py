from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A wrangler project with one D1 database; tests keep state under ``state/``."""
    (tmp_path / "wrangler.toml").write_text(
        'name = "d1-interop"\ncompatibility_date = "2026-05-01"\n\n'
        '[[d1_databases]]\nbinding = "DB"\ndatabase_name = "interop-db"\ndatabase_id = "interop-id"\n'
    )
    return tmp_path
