"""While `flarebind dev` serves a Worker that failed to load, workflows and queue messages wait instead of failing."""

from __future__ import annotations

import asyncio
from pathlib import Path

from flarebind.runtime.runtime import Runtime

from .conftest import settle

GOOD = """
from workers import WorkerEntrypoint, WorkflowEntrypoint

SEEN = []

class Flow(WorkflowEntrypoint):
    async def run(self, event, step):
        @step.do()
        async def only():
            return "done"
        return await only()

class Default(WorkerEntrypoint):
    async def queue(self, batch, env, ctx):
        SEEN.extend((m.body, m.attempts) for m in batch.messages)
"""


async def test_instances_and_messages_wait_for_a_good_reload(tmp_path: Path, clock) -> None:
    main = tmp_path / "src" / "entry.py"
    main.parent.mkdir()
    main.write_text("def broken(:\n")
    rt = Runtime(
        main=main,
        bindings={
            "WF": {"type": "workflow", "name": "flow", "class_name": "Flow"},
            "Q": {"type": "queue", "queue": "jobs"},
        },
        queue_consumers=[{"queue": "jobs", "max_batch_size": 1}],
        in_memory=True,
        compatibility_date="2026-05-01",
        compatibility_flags=["python_workers"],
        clock=clock,
        log=lambda text: None,
    )
    rt.tolerate_load_errors = True
    async with rt:
        assert rt.worker is None and rt.load_error is not None
        env = await rt.get_bindings()
        instance = await env.WF.create({"id": "w"})
        await env.Q.send("m")
        for _ in range(3):
            await settle()
            clock.advance(10)
        assert (await instance.status())["status"] == "queued"  # not errored
        assert (await env.Q.metrics())["backlogCount"] == 1  # not retried away

        main.write_text(GOOD)
        rt.reload()
        for _ in range(200):
            await asyncio.sleep(0.02)  # the broker looks for a loaded Worker again every half second
            status = await instance.status()  # a binding call starts what waited
            if status["status"] == "complete" and rt.worker.module.SEEN:
                break
        assert status["output"] == "done"
        assert rt.worker.module.SEEN == [("m", 1)]  # first delivery: no attempt was spent while broken
