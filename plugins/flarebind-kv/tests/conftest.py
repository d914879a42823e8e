from __future__ import annotations

import pytest
from flarebind.testing.bindings import open_bindings


class FakeClock:
    """Seconds since the epoch, moved by the test (expiry tests never sleep)."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(params=["memory", "disk"])
async def kv(request, clock, tmp_path):
    persist = tmp_path / "state" if request.param == "disk" else None
    async with open_bindings("local", persist_to=persist, clock=clock) as make:
        yield await make("kv_namespace", {"id": "test-ns"})
