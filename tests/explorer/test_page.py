"""The explorer page in a real headless Chromium against a real `flarebind dev`: list keys, edit a value, upload an
object, run a SQL query (screenshots kept under the test's tmp dir), and cross-origin writes refused."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from .cdp import Page

API = "/cdn-cgi/explorer/api"
KV = f"{API}/storage/kv/namespaces/explorer-kv"

pytestmark = pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="needs Debian's chromium")


@pytest.fixture
async def chrome():
    from flarebind_browser.chrome import launch_chrome

    proc = await launch_chrome()
    try:
        yield proc
    finally:
        proc.stop()


async def test_page_lists_edits_uploads_and_queries(dev, chrome, tmp_path: Path) -> None:
    shots = tmp_path / "screenshots"
    shots.mkdir()
    dev.client.put(f"{KV}/values/greeting", content=b"hello")
    dev.client.put(f"{KV}/values/config", files={"value": (None, '{"a":1}'), "metadata": (None, '{"m":true}')})
    dev.client.post(
        f"{API}/d1/database/00000000-0000-0000-0000-0000000000d1/raw",
        json={"sql": "CREATE TABLE people (name TEXT, age INTEGER)"},
    )
    dev.client.post(
        f"{API}/d1/database/00000000-0000-0000-0000-0000000000d1/raw",
        json={"sql": "INSERT INTO people VALUES ('ann', 31), ('bob', 42)"},
    )
    base = f"http://127.0.0.1:{dev.port}"
    page = await Page.open(chrome)
    try:
        await page.goto(f"{base}/cdn-cgi/explorer")
        # list keys
        keys = await page.wait_for("Array.from(document.querySelectorAll('#kv-keys li')).map(li => li.textContent)")
        assert keys == ["config", "greeting"]
        await page.screenshot(shots / "1-kv-keys.png")
        # open and edit a value (with metadata) through the page
        await page.eval("document.querySelector('#kv-keys li[data-key=\"greeting\"]').click()")
        await page.wait_for("document.getElementById('kv-value').value === 'hello'")
        await page.fill("kv-value", "edited in the browser")
        await page.fill("kv-metadata", '{"by":"page"}')
        await page.click("kv-save")
        await page.wait_for("document.getElementById('status').textContent === 'saved greeting'")
        await page.screenshot(shots / "2-kv-edited.png")
        assert dev.client.get(f"{KV}/values/greeting").content == b"edited in the browser"
        listed = dev.client.get(f"{KV}/keys").json()["result"]
        assert {"name": "greeting", "metadata": {"by": "page"}} in listed
        assert dev.get("/").text == "edited in the browser"  # the Worker sees it
        # JSON values are shown pretty-printed
        await page.eval("document.querySelector('#kv-keys li[data-key=\"config\"]').click()")
        assert "\n" in await page.wait_for("document.querySelector('#kv-preview pre')?.textContent")
        # upload an object
        upload = tmp_path / "photo.bin"
        upload.write_bytes(bytes(range(256)) * 400)
        await page.eval("document.querySelector('[data-tab=r2]').click()")
        await page.wait_for("document.getElementById('r2-bucket').value === 'explorer-bucket'")
        await page.set_file("#r2-file", upload)
        await page.click("r2-upload")
        await page.wait_for("!!document.querySelector('#r2-objects tr[data-key=\"photo.bin\"]')")
        await page.screenshot(shots / "3-r2-uploaded.png")
        got = dev.client.get(f"{API}/r2/buckets/explorer-bucket/objects/photo.bin")
        assert got.content == upload.read_bytes()
        # run a SQL query: the results grid
        await page.eval("document.querySelector('[data-tab=d1]').click()")
        await page.wait_for("document.getElementById('d1-db').value")
        await page.fill("d1-sql", "SELECT name, age FROM people ORDER BY age DESC")
        await page.click("d1-run")
        grid = await page.wait_for(
            "document.querySelector('#d1-results table') && Array.from(document.querySelectorAll('#d1-results tr'))"
            ".map(tr => Array.from(tr.children).map(c => c.textContent))"
        )
        assert grid == [["name", "age"], ["bob", "42"], ["ann", "31"]]
        await page.screenshot(shots / "4-d1-query.png")
        # a page on another origin (localhost vs 127.0.0.1) cannot write through the explorer
        await page.goto(f"http://localhost:{dev.port}/")
        status = await page.eval(
            f"fetch('{base}{KV}/values/greeting', {{method: 'PUT', body: 'evil'}}).then(r => r.status, e => 'blocked')"
        )
        assert status in (403, "blocked")
        assert dev.client.get(f"{KV}/values/greeting").content == b"edited in the browser"
    finally:
        await page.close()
    for name in ("1-kv-keys", "2-kv-edited", "3-r2-uploaded", "4-d1-query"):
        assert (shots / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_cross_origin_writes_are_refused_over_http(dev) -> None:
    base = f"http://127.0.0.1:{dev.port}"
    page = httpx.get(f"{base}/cdn-cgi/explorer")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    token = page.text.split('name="explorer-token" content="', 1)[1].split('"', 1)[0]
    assert len(token) >= 20
    url = f"{base}{KV}/values/k"
    evil = httpx.put(url, content=b"x", headers={"origin": "http://evil.example"})
    assert evil.status_code == 403 and "Cross-origin write refused" in evil.json()["errors"][0]["message"]
    assert "access-control-allow-origin" not in evil.headers
    no_token = httpx.put(url, content=b"x", headers={"origin": base})
    assert no_token.status_code == 403 and "x-flarebind-explorer-token" in no_token.json()["errors"][0]["message"]
    wrong = httpx.put(url, content=b"x", headers={"origin": base, "x-flarebind-explorer-token": "guess"})
    assert wrong.status_code == 403
    cross_site = httpx.delete(url, headers={"sec-fetch-site": "cross-site"})
    assert cross_site.status_code == 403
    assert httpx.get(url).status_code == 404  # nothing was written
    good = httpx.put(url, content=b"x", headers={"origin": base, "x-flarebind-explorer-token": token})
    assert good.status_code == 200 and httpx.get(url).content == b"x"
    # tools that send no Origin (curl, agents, wrangler) write as they do against Miniflare
    assert httpx.put(url, content=b"y").status_code == 200
    # reads by a foreign page are not readable cross-origin
    assert (
        "access-control-allow-origin"
        not in httpx.get(f"{base}{KV}/keys", headers={"origin": "http://evil.example"}).headers
    )


def test_durable_object_routes_say_what_is_missing(dev) -> None:
    reply = dev.client.get(f"{API}/workers/durable_objects/namespaces")
    assert reply.status_code == 501
    assert "Durable Objects are not simulated" in reply.json()["errors"][0]["message"]
    assert "Local explorer: http://127.0.0.1:" in dev.output
