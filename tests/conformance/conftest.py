"""Conformance suites: written once against the binding interface, run on every available path.

``local`` always runs; ``remote`` (the proxy worker under workerd, see docs/remote-protocol.md) runs when
``FLAREBIND_CONFORMANCE_REMOTE=1`` (``nox -s conformance``).
"""

from __future__ import annotations

import os

import pytest
from flarebind.testing.bindings import open_bindings

MODES = ["local"] + (["remote"] if os.environ.get("FLAREBIND_CONFORMANCE_REMOTE") else [])


@pytest.fixture(params=MODES)
def binding_mode(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
async def make_binding(binding_mode, tmp_path):
    async with open_bindings(binding_mode, persist_to=tmp_path / "state") as make:
        yield make
