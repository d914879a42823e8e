from __future__ import annotations

import textwrap
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from flarebind.runtime.runtime import Runtime


@pytest.fixture
def write_worker(tmp_path: Path) -> Callable[..., Path]:
    """Write ``src/entry.py`` (and optional siblings) into a fresh project; returns the main path."""

    def write(source: str, name: str = "entry.py", **siblings: str) -> Path:
        src = tmp_path / "src"
        src.mkdir(exist_ok=True)
        for module, text in siblings.items():
            (src / f"{module}.py").write_text(textwrap.dedent(text))
        main = src / name
        main.write_text(textwrap.dedent(source))
        return main

    return write


@pytest.fixture
async def run_worker(write_worker: Callable[..., Path]) -> AsyncIterator[Callable[..., Any]]:
    """``rt = await run_worker(source, **runtime_options)``: a ready in-memory Runtime, disposed after the test."""
    runtimes: list[Runtime] = []

    async def start(source: str, **options: Any) -> Runtime:
        main = write_worker(source)
        options.setdefault("in_memory", True)
        options.setdefault("compatibility_date", "2026-05-01")
        options.setdefault("compatibility_flags", ["python_workers"])
        logs = options.pop("logs", None)
        runtime = Runtime(main=main, log=logs.append if logs is not None else None, **options)
        runtimes.append(runtime)
        await runtime.ready
        return runtime

    yield start
    for runtime in runtimes:
        await runtime.dispose()
