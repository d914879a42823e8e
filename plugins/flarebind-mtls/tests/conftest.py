from __future__ import annotations

from pathlib import Path

import pytest
from flarebind_mtls.testing import Pems, make_pems, mtls_server


@pytest.fixture
def pems(tmp_path: Path) -> Pems:
    return make_pems(tmp_path / "pems")


@pytest.fixture
def server(pems: Pems):
    with mtls_server(pems) as url:
        yield url
