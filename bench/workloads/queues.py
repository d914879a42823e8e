"""Queues and Workflows: messages through a producer and a consumer Worker, and Workflow steps (issue 18).

flarebind: two Workers in one child process, each its own ``Runtime`` over one persist folder: the producer's fetch
handler sends ``n`` messages with ``sendBatch`` (100 per call), the consumer's ``queue`` handler counts them (batches
of 100, no batch timeout); timed from the request to the last message consumed. Then one Workflow instance of
``steps`` sequential ``step.do`` steps, timed from ``create`` to ``complete``. Miniflare: the same two Workers and
the same Workflow in JavaScript (``bench/node/mf-queues.mjs``), timed the same way from Node.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from bench.harness import FLAREBIND, MINIFLARE, MetricDef, Side, Target, Workload, run_node, run_python_child
from bench.workloads.common import rate

METRICS = [
    MetricDef("messages", "messages through producer + consumer", "msgs/s"),
    MetricDef("workflow_steps", "workflow steps (sequential step.do)", "steps/s"),
]

PRODUCER = """
from urllib.parse import urlparse, parse_qs
from workers import Response, WorkerEntrypoint

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        q = parse_qs(urlparse(request.url).query)
        n, size = int(q["n"][0]), int(q["batch"][0])
        for i in range(0, n, size):
            await self.env.Q.sendBatch([{"body": {"i": j}} for j in range(i, min(n, i + size))])
        return Response("sent")
"""

CONSUMER = """
from workers import WorkerEntrypoint, WorkflowEntrypoint

SEEN = [0]

class Steps(WorkflowEntrypoint):
    async def run(self, event, step):
        total = 0
        for i in range(event["payload"]["steps"]):
            @step.do(f"step {i}")
            async def one():
                return i
            total += await one()
        return total

class Default(WorkerEntrypoint):
    async def queue(self, batch, env, ctx):
        SEEN[0] += len(batch.messages)
        batch.ackAll()
"""


def params(quick: bool) -> dict[str, Any]:
    return {"n": 200 if quick else 2000, "batch": 100, "steps": 20 if quick else 200}


async def flarebind_child(p: dict[str, Any]) -> dict[str, Any]:
    from flarebind.runtime.runtime import Runtime

    root = Path(p["workdir"])
    for name, source in (("producer", PRODUCER), ("consumer", CONSUMER)):
        (root / name).mkdir(parents=True, exist_ok=True)
        (root / name / "entry.py").write_text(source)
    common = {
        "persist_to": root / "state",
        "compatibility_date": "2026-04-01",
        "compatibility_flags": ["python_workers"],
        "log": lambda text: None,
    }
    producer = Runtime(
        main=root / "producer" / "entry.py", bindings={"Q": {"type": "queue", "queue": "bench"}}, **common
    )
    consumer = Runtime(
        main=root / "consumer" / "entry.py",
        bindings={"WF": {"type": "workflow", "name": "steps", "class_name": "Steps"}},
        queue_consumers=[{"queue": "bench", "max_batch_size": 100, "max_batch_timeout": 0}],
        **common,
    )
    out: dict[str, Any] = {}
    async with producer, consumer:
        seen = consumer.worker.module.SEEN  # type: ignore[union-attr]
        start = time.perf_counter()
        response = await producer.dispatch_fetch(f"http://bench/?n={p['n']}&batch={p['batch']}")
        if response.status != 200:
            raise RuntimeError(await response.text())
        while seen[0] < p["n"]:
            await asyncio.sleep(0.001)
        out["messages"] = rate(p["n"], time.perf_counter() - start)
        if seen[0] != p["n"]:
            raise RuntimeError(f"consumer saw {seen[0]} of {p['n']} messages")

        env = await consumer.get_bindings()
        start = time.perf_counter()
        instance = await env.WF.create({"params": {"steps": p["steps"]}})
        while True:
            status = await instance.status()
            if status["status"] == "complete":
                break
            if status["status"] == "errored":
                raise RuntimeError(f"workflow errored: {status['error']}")
            await asyncio.sleep(0.001)
        out["workflow_steps"] = rate(p["steps"], time.perf_counter() - start)
        if status["output"] != sum(range(p["steps"])):
            raise RuntimeError(f"workflow output {status['output']!r}")
    return out


def run_flarebind(variant: str, p: dict[str, Any], workdir: Path) -> dict[str, Any]:
    return run_python_child("bench.workloads.queues:flarebind_child", {**p, "workdir": str(workdir / "fb")})


def run_miniflare(variant: str, p: dict[str, Any], workdir: Path) -> dict[str, Any]:
    out = run_node("mf-queues.mjs", {**p, "persist": str(workdir / "mf")})
    if out.get("workflow_status") != 200 or out.get("workflow_output") != str(sum(range(p["steps"]))):
        raise RuntimeError(f"{MINIFLARE} workflow failed: {out.get('workflow_output')}")
    return {
        "messages": rate(p["n"], out["messages_ms"] / 1000),
        "workflow_steps": rate(p["steps"], out["workflow_ms"] / 1000),
    }


def _ratio(metric: str, threshold: float) -> Any:
    def check(v: Any) -> tuple[bool | None, str]:
        fb, mf = v(FLAREBIND, "disk", metric), v(MINIFLARE, "disk", metric)
        if fb is None or mf is None:
            return None, f"{metric}: not measured"
        return fb / mf >= threshold, f"{metric} {fb / mf:.1f}×"

    return check


WORKLOAD = Workload(
    name="queues",
    title="Queues and Workflows",
    description="2000 messages sent with sendBatch (100 per call) by a producer Worker and consumed in batches of 100 "
    "by a consumer Worker; one Workflow instance of 200 sequential steps. State on disk on both sides.",
    metrics=METRICS,
    sides=[Side(FLAREBIND, run_flarebind), Side(MINIFLARE, run_miniflare)],
    variants=lambda quick: ["disk"],
    params=params,
    targets=[
        Target("messages/s ≥ 5× Miniflare (producer + consumer Workers)", _ratio("messages", 5)),
        Target("workflow steps/s ≥ Miniflare's", _ratio("workflow_steps", 1)),
    ],
    notes=[
        "flarebind persists every message (SQLite, WAL) before send() returns; Miniflare keeps queue messages in "
        "memory. Both persist workflow state.",
        "Completion is polled every 1 ms (flarebind, in-process) and every 2 ms (Miniflare, through dispatchFetch).",
    ],
)
