"""Browser Rendering: time to the first screenshot from a cold session and a warm one, and peak memory (issue 15).

A child process builds the local Browser binding (system Chromium, ``flarebind_browser``) and, per repetition of the
inner loop, times ``launch`` → ``new_page`` → ``goto`` (a page served on 127.0.0.1) → ``screenshot`` with a new
session (cold: Chromium starts), then ``new_page`` → ``goto`` → ``screenshot`` in a session that is already open
(warm). A sampler thread sums the resident memory of the Chromium process trees (every process in a browser's
session, proportional set size so shared pages count once) and records the peak; the Python side's own peak is
its VmHWM.
"""

from __future__ import annotations

import statistics
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from bench.harness import FLAREBIND, MetricDef, Side, Skip, Workload, module_missing
from bench.proc import memory_kib

METRICS = [
    MetricDef("cold_ms", "first screenshot, new session (Chromium start + page + capture)", "ms", False),
    MetricDef("warm_ms", "first screenshot of a new page in an open session", "ms", False),
    MetricDef("chrome_peak_mib", "peak memory (PSS) of the Chromium process tree", "MiB", False),
    MetricDef("python_peak_mib", "peak RSS of the Python process driving it", "MiB", False),
]

PAGE = (
    b"<!DOCTYPE html><html><head><title>bench</title></head><body style='background:#08f'>"
    b"<h1>flarebind browser bench</h1>" + b"<p>paragraph of text</p>" * 200 + b"</body></html>"
)


class _Page(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("content-type", "text/html")
        self.send_header("content-length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)


def _pss_kib(proc: Path) -> int:
    """Proportional set size: shared pages (Chromium's processes share most of their code) counted once overall."""
    for line in (proc / "smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1])
    return 0


def _session_rss_kib(sids: set[int]) -> int:
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            fields = stat[stat.rindex(")") + 2 :].split()
            if int(fields[3]) in sids and fields[0] != "Z":
                total += _pss_kib(entry)
        except (OSError, ValueError):
            continue
    return total


async def measure_child(p: dict[str, Any]) -> dict[str, Any]:
    from flarebind.plugin import LocalContext
    from flarebind_browser import helper
    from flarebind_browser.chrome import find_chrome
    from flarebind_browser.errors import BrowserNotFound
    from flarebind_browser.local import make_local

    try:
        find_chrome()
    except BrowserNotFound as exc:
        raise Skip(str(exc)) from None
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    ctx = LocalContext(in_memory=True)
    binding = make_local("BROWSER", {"type": "browser"}, ctx)
    sids: set[int] = set()
    peak = [0]
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.05):
            peak[0] = max(peak[0], _session_rss_kib(set(sids)))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()

    async def first_screenshot(browser: Any) -> bytes:
        page = await browser.new_page()
        await page.goto(url)
        data = await page.screenshot()
        await page.close()
        return data

    cold, warm = [], []
    try:
        for _ in range(p["n"]):
            start = time.perf_counter()
            browser = await helper.launch(binding)
            sids.add(binding._manager.sessions[browser.session_id].chrome.pid)
            png = await first_screenshot(browser)
            cold.append((time.perf_counter() - start) * 1000)
            for _ in range(p["warm"]):
                start = time.perf_counter()
                png = await first_screenshot(browser)
                warm.append((time.perf_counter() - start) * 1000)
            if not png.startswith(b"\x89PNG"):
                raise RuntimeError("the screenshot is not a PNG")
            await browser.close()
    finally:
        stop.set()
        sampler.join()
        await ctx.dispose()
        server.shutdown()
    return {
        "cold_ms": statistics.median(cold),
        "warm_ms": statistics.median(warm),
        "chrome_peak_mib": peak[0] / 1024,
        "python_peak_mib": memory_kib()["hwm"] / 1024,
    }


def run_flarebind(variant: str, p: dict[str, Any], workdir: Path) -> dict[str, Any]:
    from bench.harness import run_python_child

    return run_python_child("bench.workloads.browser:measure_child", p)


WORKLOAD = Workload(
    name="browser",
    title="Browser Rendering (local Chromium)",
    description="Time to the first screenshot of a page served on 127.0.0.1: a new session (cold, Chromium starts) "
    "and a new page in an open session (warm); peak memory of Chromium and of the Python side.",
    metrics=METRICS,
    sides=[Side(FLAREBIND, run_flarebind)],
    variants=lambda quick: ["first-screenshot"],
    params=lambda quick: {"n": 1 if quick else 5, "warm": 2 if quick else 5},
    requires=lambda: module_missing("flarebind_browser.helper:launch"),
    notes=[
        "No Miniflare side: its browser binding downloads Chrome for Testing at first use and has no option for a "
        "system Chromium, and this machine reaches only the package registries."
    ],
)
