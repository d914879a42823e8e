from __future__ import annotations

import asyncio
import textwrap
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from flarebind.runtime.runtime import Runtime
from flarebind.runtime.timers import FakeClock

CONSUMER = """
from workers import WorkerEntrypoint

BATCHES = []


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        from workers import Response
        return Response("ok")

    async def queue(self, batch, env, ctx):
        BATCHES.append((batch.queue, [(m.body, m.attempts, m.id) for m in batch.messages]))
        for message in batch.messages:
            body = message.body
            if body == "boom":
                raise RuntimeError("consumer exploded")
            if body == "retry":
                message.retry()
            if body == "retry-later":
                message.retry(delaySeconds=60)
            if body == "ack-then-boom":
                message.ack()
            if body == "retry-all":
                batch.retryAll()
        if any(m.body == "ack-then-boom" for m in batch.messages):
            raise RuntimeError("after an explicit ack")
"""


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(1_800_000_000.0)


@pytest.fixture
async def start(tmp_path: Path, clock: FakeClock) -> AsyncIterator[Callable[..., Any]]:
    """``rt = await start(source=CONSUMER, producers={"Q": "jobs"}, consumers=[{...}], **options)``."""
    runtimes: list[Runtime] = []

    async def run(
        source: str = CONSUMER,
        *,
        producers: dict[str, Any] | None = None,
        consumers: list[dict[str, Any]] | None = None,
        folder: str = "worker",
        **options: Any,
    ) -> Runtime:
        src = tmp_path / folder / "src"
        src.mkdir(parents=True, exist_ok=True)
        main = src / "entry.py"
        main.write_text(textwrap.dedent(source))
        bindings = {}
        for binding, spec in (producers or {}).items():
            bindings[binding] = {"type": "queue", **({"queue": spec} if isinstance(spec, str) else spec)}
        options.setdefault("in_memory", True)
        options.setdefault("compatibility_date", "2026-05-01")
        options.setdefault("compatibility_flags", ["python_workers"])
        options.setdefault("clock", clock)
        logs = options.pop("logs", None)
        runtime = Runtime(
            main=main,
            bindings=bindings,
            queue_consumers=consumers,
            log=logs.append if logs is not None else (lambda text: None),
            **options,
        )
        runtimes.append(runtime)
        await runtime.ready
        return runtime

    yield run
    for runtime in runtimes:
        await runtime.dispose()


async def settle(rounds: int = 30) -> None:
    for _ in range(rounds):
        await asyncio.sleep(0)


def batches(rt: Runtime) -> list[Any]:
    return rt.worker.module.BATCHES  # type: ignore[no-any-return,union-attr]
