"""Workers AI on a local provider: what the binding adds over calling the same model server directly (issue 13).

A child process starts the OpenAI-compatible stand-in the tests use (``tests/fakes/openai_server.py``, a real HTTP
server on 127.0.0.1) and, interleaved call by call, times the same chat completion two ways: a direct ``httpx``
POST to the server, and ``env.AI.run`` on the local binding (model map, request building, Workers AI shapes). The
overhead is the difference of the medians; time to the first streamed token is measured the same way (first
content chunk of the server's stream vs first event of the binding's ``AiStream``).
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from typing import Any

from bench.harness import FLAREBIND, REPO, MetricDef, Side, Target, Workload, module_missing, run_python_child

MODEL = "@cf/meta/llama-3.1-8b-instruct"
METRICS = [
    MetricDef("direct_ms", "chat completion, direct HTTP call to the server", "ms", higher_is_better=False),
    MetricDef("binding_ms", "the same through env.AI.run", "ms", higher_is_better=False),
    MetricDef(
        "overhead_ms", "binding overhead per call (difference of medians)", "ms", higher_is_better=False, signed=True
    ),
    MetricDef("direct_ttft_ms", "first streamed token, direct", "ms", higher_is_better=False),
    MetricDef("binding_ttft_ms", "first streamed event through env.AI.run", "ms", higher_is_better=False),
    MetricDef("ttft_added_ms", "time to first token added by flarebind", "ms", higher_is_better=False, signed=True),
]


def params(quick: bool) -> dict[str, Any]:
    return {"n": 20 if quick else 300}


async def _measure(n: int) -> dict[str, float]:
    import httpx

    sys.path.insert(0, str(REPO / "tests"))
    from fakes.openai_server import OpenAIStandIn
    from flarebind_ai.binding import LocalAi
    from flarebind_ai.providers.openai import OpenAICompatibleProvider

    with OpenAIStandIn() as server:
        provider = OpenAICompatibleProvider(server.url)
        ai = LocalAi("AI", provider)
        body = {"model": "llama3.1:8b", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 256}
        async with httpx.AsyncClient(trust_env=False) as client:
            url = f"{server.url}/v1/chat/completions"

            async def direct() -> None:
                (await client.post(url, json=body)).json()

            async def binding() -> None:
                await ai.run(MODEL, {"prompt": "hi"})

            async def direct_ttft() -> None:
                async with client.stream("POST", url, json={**body, "stream": True}) as response:
                    async for line in response.aiter_lines():
                        if line.startswith("data:"):
                            break

            async def binding_ttft() -> None:
                stream = await ai.run(MODEL, {"prompt": "hi", "stream": True})
                async for _ in stream:
                    break

            times: dict[str, list[float]] = {k: [] for k in ("direct", "binding", "direct_ttft", "binding_ttft")}
            pairs = [
                ("direct", direct),
                ("binding", binding),
                ("direct_ttft", direct_ttft),
                ("binding_ttft", binding_ttft),
            ]
            for _ in range(5):  # warm connections on both paths
                for _, fn in pairs:
                    await fn()
            for i in range(n):
                order = pairs if i % 2 == 0 else pairs[::-1]
                for key, fn in order:
                    t = time.perf_counter()
                    await fn()
                    times[key].append((time.perf_counter() - t) * 1000)
        await provider.aclose()
    med = {k: statistics.median(v) for k, v in times.items()}
    return {
        "direct_ms": med["direct"],
        "binding_ms": med["binding"],
        "overhead_ms": med["binding"] - med["direct"],
        "direct_ttft_ms": med["direct_ttft"],
        "binding_ttft_ms": med["binding_ttft"],
        "ttft_added_ms": med["binding_ttft"] - med["direct_ttft"],
    }


def child(p: dict[str, Any]) -> dict[str, Any]:
    return asyncio.run(_measure(p["n"]))


def run_flarebind(variant: str, p: dict[str, Any], workdir: Any) -> dict[str, Any]:
    return run_python_child("bench.workloads.ai:child", p)


def _target(metric: str, limit: float):
    def check(lookup: Any) -> tuple[bool | None, str]:
        value = lookup(FLAREBIND, "local-provider", metric)
        if value is None:
            return None, "not measured"
        return value <= limit, f"{value:.3f} ms"

    return check


WORKLOAD = Workload(
    name="ai",
    title="Workers AI on a local provider",
    description="env.AI.run on an OpenAI-compatible server (the tests' stand-in on 127.0.0.1) vs a direct HTTP call "
    "to the same server, interleaved; plain and streamed.",
    metrics=METRICS,
    sides=[Side(FLAREBIND, run_flarebind)],
    variants=lambda quick: ["local-provider"],
    params=params,
    requires=lambda: module_missing("flarebind_ai.providers.openai:OpenAICompatibleProvider"),
    targets=[
        Target("binding overhead ≤ 1 ms per call", _target("overhead_ms", 1.0)),
        Target("time to first streamed token added ≤ 2 ms", _target("ttft_added_ms", 2.0)),
    ],
    notes=["Miniflare has no local Workers AI, so there is no ratio; the baseline is the direct call."],
)
