"""A Python Worker that drives the local Chromium through ``workers.browser``, and the quick actions."""

from __future__ import annotations

import base64
import textwrap

from flarebind.runtime.runtime import Runtime
from flarebind_browser import helper
from flarebind_browser.testing import decode_png

WORKER = """
from urllib.parse import urlparse, parse_qs
from workers import Response, WorkerEntrypoint
from workers.browser import launch


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        query = parse_qs(urlparse(request.url).query)
        target = query["url"][0]
        what = urlparse(request.url).path
        browser = await launch(self.env.BROWSER)
        try:
            page = await browser.new_page()
            await page.goto(target)
            if what == "/screenshot":
                return Response(await page.screenshot(), headers={"content-type": "image/png"})
            if what == "/pdf":
                return Response(await page.pdf(), headers={"content-type": "application/pdf"})
            title = await page.evaluate("document.title")
            heading = await page.evaluate("(sel) => document.querySelector(sel).textContent", "h1")
            html = await page.content()
            return Response.json({"title": title, "heading": heading, "html": html})
        finally:
            await browser.close()
"""


async def run(tmp_path, page_url: str, path: str):
    main = tmp_path / "src" / "entry.py"
    main.parent.mkdir(parents=True, exist_ok=True)
    main.write_text(textwrap.dedent(WORKER))
    async with Runtime(
        main=main,
        in_memory=True,
        compatibility_date="2026-05-01",
        compatibility_flags=["python_workers"],
        bindings={"BROWSER": {"type": "browser"}},
    ) as rt:
        resp = await rt.dispatch_fetch(f"http://localhost{path}?url={page_url}")
        return resp.status, resp.headers.get("content-type"), await resp.bytes()


async def test_a_worker_screenshots_a_local_page(tmp_path, page_url):
    status, ctype, png = await run(tmp_path, page_url, "/screenshot")
    assert status == 200 and ctype == "image/png"
    width, height, pixels = decode_png(png)
    assert (width, height) == (800, 600)  # puppeteer's default viewport
    assert pixels[590][10] == (0, 128, 255)  # the page background
    assert pixels[325][425] == (255, 0, 0)  # the red square at 400,300 (50x50)


async def test_a_worker_reads_a_local_page(tmp_path, page_url):
    import json

    status, _, body = await run(tmp_path, page_url, "/read")
    data = json.loads(body)
    assert status == 200
    assert data["title"] == "flarebind test page" and data["heading"] == "Rendered by Chromium"
    assert data["html"].startswith("<!DOCTYPE html><html><head><title>flarebind test page</title>")


async def test_a_worker_prints_a_pdf(tmp_path, page_url):
    status, ctype, pdf = await run(tmp_path, page_url, "/pdf")
    assert status == 200 and ctype == "application/pdf"
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF") and b"/Type /Page" in pdf


async def test_quick_actions(browser_binding, page_url):
    html = await helper.content(browser_binding, url=page_url)
    assert "<h1>Rendered by Chromium</h1>" in html

    png = await helper.screenshot(browser_binding, url=page_url, viewport={"width": 320, "height": 200})
    width, height, pixels = decode_png(png)
    assert (width, height) == (320, 200) and pixels[199][0] == (0, 128, 255)
    full = decode_png(await helper.screenshot(browser_binding, html="<body style='margin:0;height:1500px'>x</body>",
                                              full_page=True))  # fmt: skip
    assert (full[0], full[1]) == (800, 1500)
    element = decode_png(await helper.screenshot(browser_binding, url=page_url, selector="div"))
    assert (element[0], element[1]) == (50, 50) and element[2][25][25] == (255, 0, 0)

    pdf = await helper.pdf(browser_binding, url=page_url, format="a4", landscape=True)
    assert pdf.startswith(b"%PDF-")

    links = await helper.links(browser_binding, url=page_url)
    assert links == [page_url.replace("/page", "/other"), "https://example.com/external"]
    internal = await helper.links(browser_binding, url=page_url, exclude_external_links=True)
    assert internal == [page_url.replace("/page", "/other")]

    md = await helper.markdown(browser_binding, url=page_url)
    assert md.startswith("# Rendered by Chromium\n\nHello from [another page](")
    assert "[an external one](https://example.com/external)" in md

    snap = await helper.snapshot(browser_binding, url=page_url)
    assert "Rendered by Chromium" in snap["content"]
    assert decode_png(base64.b64decode(snap["screenshot"]))[:2] == (800, 600)

    # every quick action closed its session
    assert await helper.sessions(browser_binding) == []
    closed = await helper.history(browser_binding)
    assert len(closed) == 9, [(h["closeReasonText"], h["startTime"]) for h in closed]


async def test_navigation_errors_are_puppeteer_errors(browser_binding):
    import socket

    import pytest
    from flarebind_browser.errors import BrowserError

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    async with await helper.launch(browser_binding) as browser:
        page = await browser.new_page()
        with pytest.raises(BrowserError) as info:
            await page.goto(f"http://127.0.0.1:{port}/")
        assert str(info.value) == f"net::ERR_CONNECTION_REFUSED at http://127.0.0.1:{port}/"
        with pytest.raises(BrowserError) as thrown:
            await page.evaluate("(() => { throw new Error('boom') })()")
        assert str(thrown.value).startswith("Error: boom")
        assert await page.evaluate("(a, b) => a + b", 2, 3) == 5
        assert await page.evaluate("Promise.resolve({x: [1, 'two']})") == {"x": [1, "two"]}


async def test_sessions_close_on_reload_and_dispose(tmp_path):
    from flarebind_browser.testing import live_processes_in_session

    main = tmp_path / "src" / "entry.py"
    main.parent.mkdir(parents=True, exist_ok=True)
    main.write_text(
        textwrap.dedent("""
        from workers import Response, WorkerEntrypoint
        from workers.browser import acquire

        class Default(WorkerEntrypoint):
            async def fetch(self, request):
                return Response(await acquire(self.env.BROWSER))
        """)
    )
    rt = Runtime(main=main, in_memory=True, compatibility_date="2026-05-01", compatibility_flags=["python_workers"],
                 bindings={"BROWSER": {"type": "browser"}})  # fmt: skip
    try:
        await rt.ready
        env = await rt.get_bindings()
        first = await (await rt.dispatch_fetch("http://localhost/")).text()
        pid = env.BROWSER._manager.sessions[first].chrome.pid
        rt.reload()  # what `flarebind dev` does when the code changes
        await rt.wait_until_settled()  # the reload closes sessions in the background
        assert await helper.sessions(env.BROWSER) == [] and live_processes_in_session(pid) == []
        second = await (await rt.dispatch_fetch("http://localhost/")).text()
        pid = env.BROWSER._manager.sessions[second].chrome.pid
    finally:
        await rt.dispose()
    assert live_processes_in_session(pid) == []
