from __future__ import annotations

import asyncio
import textwrap
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from flarebind.runtime.runtime import Runtime
from flarebind.runtime.timers import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(1_800_000_000.0)


@pytest.fixture
async def start_worker(tmp_path: Path, clock: FakeClock) -> AsyncIterator[Callable[..., Any]]:
    """``rt = await start_worker(source, workflows={"WF": ("wf-name", "ClassName")}, **options)``."""
    runtimes: list[Runtime] = []

    async def start(source: str, *, workflows: dict[str, tuple[str, str]] | None = None, **options: Any) -> Runtime:
        src = tmp_path / "src"
        src.mkdir(exist_ok=True)
        main = src / "entry.py"
        source = textwrap.dedent(source)
        if "class Default" not in source:
            source += "\n\nfrom workers import WorkerEntrypoint as _WE\n\nclass Default(_WE):\n    pass\n"
        main.write_text(source)
        bindings = dict(options.pop("bindings", {}) or {})
        for binding, (name, cls) in (workflows or {}).items():
            bindings[binding] = {"type": "workflow", "name": name, "class_name": cls}
        options.setdefault("in_memory", True)
        options.setdefault("compatibility_date", "2026-05-01")
        options.setdefault("compatibility_flags", ["python_workers"])
        options.setdefault("clock", clock)
        logs = options.pop("logs", None)
        runtime = Runtime(main=main, bindings=bindings, log=logs.append if logs is not None else None, **options)
        runtimes.append(runtime)
        await runtime.ready
        return runtime

    yield start
    for runtime in runtimes:
        await runtime.dispose()


async def settle(rounds: int = 50) -> None:
    """Let background tasks run until they block on the (fake) clock or an event."""
    for _ in range(rounds):
        await asyncio.sleep(0)


async def wait_status(instance: Any, *wanted: str, clock: FakeClock | None = None, limit: int = 2000) -> Any:
    """Run the loop until the instance reaches one of ``wanted`` (advancing a fake clock to pending deadlines)."""
    for _ in range(limit):
        status = await instance.status()
        if status["status"] in wanted:
            return status
        await settle(5)
        if clock is not None and clock.pending:
            clock.set(max(clock.now, clock.pending[0]))
    raise AssertionError(f"instance never reached {wanted}: {await instance.status()}")
