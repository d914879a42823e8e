"""Browser binding conformance: the Fetcher's session endpoints, locally (real Chromium) and through the proxy.

Remotely the proxy's Browser stand-in on workerd answers the endpoints (wrangler dev's own browser binding would
download Chrome); the DevTools WebSocket cannot cross the proxy, see docs/bindings/browser.md.
"""

from __future__ import annotations

import pytest
from flarebind_browser import helper


@pytest.fixture
async def browser(make_binding):
    return await make_binding("browser", {}, name="BROWSER")


async def test_acquire_lists_and_closes_a_session(browser):
    session_id = await helper.acquire(browser)
    assert isinstance(session_id, str) and len(session_id) >= 32
    listed = await helper.sessions(browser)
    mine = [s for s in listed if s["sessionId"] == session_id]
    assert len(mine) == 1 and isinstance(mine[0]["startTime"], int) and "connectionId" not in mine[0]

    detail = await browser.fetch(f"http://fake.host/v1/devtools/session/{session_id}")
    assert detail.status == 200 and (await detail.json())["sessionId"] == session_id

    closed = await browser.fetch(f"http://fake.host/v1/devtools/browser/{session_id}", method="DELETE")
    assert closed.status == 200 and await closed.json() == {"status": "closed"}
    assert session_id not in [s["sessionId"] for s in await helper.sessions(browser)]
    ended = [h for h in await helper.history(browser) if h["sessionId"] == session_id]
    assert len(ended) == 1 and ended[0]["endTime"] >= ended[0]["startTime"]


async def test_limits_shape(browser):
    limits = await helper.limits(browser)
    assert limits["maxConcurrentSessions"] >= 1
    assert 0 <= limits["allowedBrowserAcquisitions"] <= limits["maxConcurrentSessions"]
    assert limits["timeUntilNextAllowedBrowserAcquisition"] >= 0


async def test_connect_devtools_needs_a_session(browser):
    resp = await browser.fetch("http://fake.host/v1/connectDevtools")
    assert resp.status == 400 and await resp.text() == "browser_session must be set"
    unknown = await browser.fetch("http://fake.host/v1/devtools/session/no-such-session")
    assert unknown.status == 404 and await unknown.json() == {"error": "Session not found"}


async def test_launch_drives_a_page_locally_and_says_why_not_remotely(browser, binding_mode):
    from flarebind_browser.errors import BrowserError

    if binding_mode == "remote":
        # the session is acquired on the remote side; its DevTools WebSocket cannot come back through the proxy
        with pytest.raises(BrowserError) as info:
            await helper.launch(browser)
        assert "cannot cross the flarebind proxy" in str(info.value)
        return
    async with await helper.launch(browser) as session:
        page = await session.new_page()
        await page.set_content("<title>conformance</title><p>ok</p>")
        assert await page.title() == "conformance"
