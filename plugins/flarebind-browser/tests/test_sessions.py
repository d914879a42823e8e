"""The Browser binding's endpoints on real local Chromium: sessions, DevTools framing, keep-alive, limits, cleanup."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time

import pytest
from flarebind_browser.errors import BrowserNotFound
from flarebind_browser.sessions import frame, unframe
from flarebind_browser.testing import live_processes_in_session

HOST = "http://fake.host"
WAIT = 60.0  # how long a background close may take on a loaded machine (a wait, not an assertion about speed)


async def get_json(binding, path, **init):
    resp = await binding.fetch(HOST + path, **init)
    return resp.status, await resp.json()


def chrome_pid(binding, session_id: str) -> int:
    return binding._manager.sessions[session_id].chrome.pid


async def wait_until(predicate, what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"still waiting for {what}")
        await asyncio.sleep(0.1)


async def test_acquire_connect_and_close(browser_binding):
    status, body = await get_json(browser_binding, "/v1/acquire")
    assert status == 200 and set(body) == {"sessionId"}
    session_id = body["sessionId"]
    pid = chrome_pid(browser_binding, session_id)
    assert live_processes_in_session(pid)

    status, limits = await get_json(browser_binding, "/v1/limits")
    assert (limits["maxConcurrentSessions"], limits["allowedBrowserAcquisitions"]) == (6, 5)
    assert limits["timeUntilNextAllowedBrowserAcquisition"] == 0

    missing = await browser_binding.fetch(HOST + "/v1/connectDevtools")
    assert missing.status == 400 and await missing.text() == "browser_session must be set"
    unknown = await browser_binding.fetch(HOST + "/v1/connectDevtools?browser_session=nope")
    assert unknown.status == 404 and await unknown.json() == {"error": "Browser not found"}

    resp = await browser_binding.fetch(
        f"{HOST}/v1/connectDevtools?browser_session={session_id}", headers={"Upgrade": "websocket"}
    )
    assert resp.status == 101 and resp.headers["cf-browser-session-id"] == session_id
    socket = resp.webSocket
    second = await browser_binding.fetch(f"{HOST}/v1/connectDevtools?browser_session={session_id}")
    assert second.status == 409 and await second.text() == "WebSocket already initialized"

    # the legacy framing: 4-byte little-endian length, then the DevTools JSON; "ping" is only a keep-alive
    await socket.send("ping")
    await socket.send(frame(json.dumps({"id": 7, "method": "Browser.getVersion"}).encode()))
    raw = await socket.receive()
    assert int.from_bytes(raw[:4], "little") == len(raw) - 4
    answer = json.loads(unframe(raw))
    assert answer["id"] == 7 and "Chrom" in answer["result"]["product"]

    status, listed = await get_json(browser_binding, "/v1/sessions")
    (entry,) = listed["sessions"]
    assert entry["sessionId"] == session_id and entry["connectionId"] and entry["connectionStartTime"]

    version = await browser_binding.fetch(f"{HOST}/v1/devtools/browser/{session_id}/json/version")
    assert version.status == 200 and "webSocketDebuggerUrl" in await version.json()

    status, closed = await get_json(browser_binding, f"/v1/devtools/browser/{session_id}", method="DELETE")
    assert closed == {"status": "closed"}
    assert live_processes_in_session(pid) == []
    status, listed = await get_json(browser_binding, "/v1/sessions")
    assert listed == {"sessions": []}
    status, history = await get_json(browser_binding, "/v1/history")
    assert [(h["sessionId"], h["closeReasonText"]) for h in history] == [(session_id, "NormalClosure")]
    with pytest.raises(ConnectionError):
        await socket.receive()


async def test_browser_close_over_devtools_ends_the_session(browser_binding):
    from flarebind_browser import helper

    browser = await helper.launch(browser_binding)
    pid = chrome_pid(browser_binding, browser.session_id)
    await browser.close()
    assert live_processes_in_session(pid) == []
    assert await helper.sessions(browser_binding) == []
    assert (await helper.history(browser_binding))[0]["sessionId"] == browser.session_id


async def test_idle_sessions_close_after_keep_alive(browser_binding):
    from flarebind_browser import helper

    browser = await helper.launch(browser_binding, keep_alive=1000)
    pid = chrome_pid(browser_binding, browser.session_id)
    await browser.disconnect()  # no more DevTools traffic (or pings): the keep-alive runs out
    await wait_until(lambda: not browser_binding._manager.sessions, "the idle session to close")
    assert live_processes_in_session(pid) == []
    last = (await helper.history(browser_binding))[0]
    assert (last["sessionId"], last["closeReason"], last["closeReasonText"]) == (browser.session_id, 3, "BrowserIdle")


async def test_connected_sessions_stay_alive_and_can_be_reconnected(browser_binding):
    from flarebind_browser import helper

    browser = await helper.launch(browser_binding, keep_alive=1000)
    await asyncio.sleep(2.5)  # longer than the keep-alive: the helper's pings keep the session open
    assert [s["sessionId"] for s in await helper.sessions(browser_binding)] == [browser.session_id]
    await browser.disconnect()
    again = await helper.connect(browser_binding, browser.session_id)
    assert "Chrom" in await again.version()
    await again.close()


async def test_session_limit(browser_binding, monkeypatch):
    browser_binding._manager.max_sessions = 1
    first = await browser_binding.fetch(HOST + "/v1/acquire")
    assert first.status == 200
    refused = await browser_binding.fetch(HOST + "/v1/acquire")
    assert refused.status == 429 and "Too many browsers" in await refused.text()
    _, limits = await get_json(browser_binding, "/v1/limits")
    assert limits["allowedBrowserAcquisitions"] == 0 and limits["timeUntilNextAllowedBrowserAcquisition"] > 0


async def test_keep_alive_is_capped_at_ten_minutes(browser_binding):
    _, body = await get_json(browser_binding, "/v1/acquire?keep_alive=3600000")
    assert browser_binding._manager.sessions[body["sessionId"]].keep_alive_ms == 600_000


async def test_dispose_leaves_no_browser_process(tmp_path):
    from flarebind.plugin import LocalContext
    from flarebind_browser.local import make_local

    ctx = LocalContext(in_memory=True, project_dir=tmp_path)
    binding = make_local("BROWSER", {"type": "browser"}, ctx)
    pids = []
    for _ in range(2):
        _, body = await get_json(binding, "/v1/acquire")
        pids.append(chrome_pid(binding, body["sessionId"]))
    assert all(live_processes_in_session(pid) for pid in pids)
    profiles = [s.chrome.profile for s in binding._manager.sessions.values()]
    await ctx.dispose()
    assert [live_processes_in_session(pid) for pid in pids] == [[], []]
    assert not any(p.exists() for p in profiles)


CHILD = """
import asyncio, sys
from flarebind.plugin import LocalContext
from flarebind_browser.local import make_local

async def main():
    binding = make_local("BROWSER", {"type": "browser"}, LocalContext(in_memory=True))
    resp = await binding.fetch("http://fake.host/v1/acquire")
    session_id = (await resp.json())["sessionId"]
    print(binding._manager.sessions[session_id].chrome.pid, flush=True)
    await asyncio.sleep(3600)

asyncio.run(main())
"""


async def test_a_killed_flarebind_takes_its_browsers_with_it():
    child = subprocess.Popen([sys.executable, "-c", CHILD], stdout=subprocess.PIPE, text=True)
    try:
        pid = int(await asyncio.to_thread(child.stdout.readline))
        assert live_processes_in_session(pid)
        os.kill(child.pid, signal.SIGKILL)  # no cleanup code runs in the child
        child.wait()
        await wait_until(lambda: not live_processes_in_session(pid), "Chromium to exit after its parent died")
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


async def test_no_chromium_says_how_to_install_one(browser_binding, monkeypatch, tmp_path):
    monkeypatch.setenv("FLAREBIND_CHROME", str(tmp_path / "no-such-chrome"))
    with pytest.raises(BrowserNotFound) as info:
        await browser_binding.fetch(HOST + "/v1/acquire")
    assert "FLAREBIND_CHROME is" in str(info.value) and "apt-get install -y chromium" in str(info.value)
    monkeypatch.delenv("FLAREBIND_CHROME")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(BrowserNotFound) as info:
        await browser_binding.fetch(HOST + "/v1/acquire")
    assert "No Chromium was found for the Browser binding BROWSER" in str(info.value)
