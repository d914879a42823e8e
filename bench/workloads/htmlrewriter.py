"""HTMLRewriter on lol-html (issue 17): one HTML document rewritten with a sync element handler, an async one (each
awaited before lol-html goes on) and an `onEndTag` handler, in one process. flarebind-only: a JS Worker's
HTMLRewriter in workerd is not a like-for-like comparison for Python handlers."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from bench.harness import FLAREBIND, MetricDef, Side, Workload

METRICS = [
    MetricDef("sync_calls", "sync element handler calls (setAttribute) while rewriting", "calls/s"),
    MetricDef("async_calls", "async element handler calls (await, then setAttribute)", "calls/s"),
    MetricDef("end_tag_calls", "onEndTag handler calls (end tag before())", "calls/s"),
]


def params(quick: bool) -> dict[str, Any]:
    return {"links": 500 if quick else 5000, "reps": 1 if quick else 5}


async def child(p: dict[str, Any]) -> dict[str, Any]:
    from flarebind.runtime.sdk.htmlrewriter import JsHTMLRewriter
    from flarebind.runtime.sdk.response import JsResponse

    links = p["links"]
    page = ("<html><body>" + "<div><p>text <a href='/x'>link</a></p></div>" * links + "</body></html>").encode()

    class Sync:
        def element(self, el: Any) -> None:
            el.setAttribute("data-x", "1")

    class Async:
        async def element(self, el: Any) -> None:
            await asyncio.sleep(0)
            el.setAttribute("data-x", "1")

    class EndTag:
        def element(self, el: Any) -> None:
            el.onEndTag(lambda tag: tag.before("!"))

    out: dict[str, Any] = {}
    for metric, handler, marker in (
        ("sync_calls", Sync(), b'data-x="1"'),
        ("async_calls", Async(), b'data-x="1"'),
        ("end_tag_calls", EndTag(), b"!</a>"),
    ):
        best = float("inf")
        for _ in range(p["reps"]):
            start = time.perf_counter()
            body = await JsHTMLRewriter.new().on("a", handler).transform(JsResponse(page)).bytes()
            best = min(best, time.perf_counter() - start)
            if body.count(marker) != links:
                raise RuntimeError(f"{metric}: the rewritten page is wrong")
        out[metric] = links / best
    return out


def run(variant: str, p: dict[str, Any], workdir: Path) -> dict[str, Any]:
    from bench.harness import run_python_child

    out = run_python_child("bench.workloads.htmlrewriter:child", p)
    out["_skipped"] = {}
    return out


WORKLOAD = Workload(
    name="htmlrewriter",
    title="HTMLRewriter handlers",
    description="A page with N links rewritten on lol-html with one handler on `a` (sync, async, onEndTag); the "
    "best of a few runs, handler calls per second including parsing.",
    metrics=METRICS,
    sides=[Side(FLAREBIND, run)],
    variants=lambda quick: ["local"],
    params=params,
)
