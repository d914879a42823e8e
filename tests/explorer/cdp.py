"""A minimal Chrome DevTools Protocol client over ``websockets`` for driving the explorer page in headless Chromium.

Why CDP rather than Playwright: Chromium (Debian's) and ``websockets`` are already here for flarebind-browser, whose
launcher we reuse; Playwright would add a large dependency for the dozen commands these tests send.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
from pathlib import Path
from typing import Any

import httpx
import websockets


class Page:
    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.ids = itertools.count(1)

    @classmethod
    async def open(cls, chrome: Any) -> Page:
        target = httpx.put(f"{chrome.http_base}/json/new?about:blank").json()
        ws = await websockets.connect(target["webSocketDebuggerUrl"], max_size=64 << 20)
        page = cls(ws)
        await page.send("Page.enable")
        await page.send("Emulation.setDeviceMetricsOverride", width=1200, height=800, deviceScaleFactor=1, mobile=False)
        return page

    async def send(self, method: str, **params: Any) -> dict[str, Any]:
        msg_id = next(self.ids)
        await self.ws.send(json.dumps({"id": msg_id, "method": method, "params": params}))
        while True:
            message = json.loads(await self.ws.recv())
            if message.get("id") == msg_id:
                if "error" in message:
                    raise AssertionError(f"{method}: {message['error']}")
                return message.get("result", {})

    async def goto(self, url: str) -> None:
        await self.send("Page.navigate", url=url)
        await self.wait_for("document.readyState === 'complete'")

    async def eval(self, expression: str) -> Any:
        result = await self.send("Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True)
        if "exceptionDetails" in result:
            raise AssertionError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    async def wait_for(self, expression: str, attempts: int = 300) -> Any:
        """Poll ``expression`` until it is truthy (a bounded number of short waits, no timing assertion)."""
        for _ in range(attempts):
            value = await self.eval(expression)
            if value:
                return value
            await asyncio.sleep(0.05)
        shown = await self.eval("document.getElementById('status')?.textContent")
        raise AssertionError(f"never true: {expression} (status line: {shown!r})")

    async def click(self, element_id: str) -> None:
        await self.eval(f"document.getElementById({element_id!r}).click()")

    async def fill(self, element_id: str, value: str) -> None:
        await self.eval(f"document.getElementById({element_id!r}).value = {json.dumps(value)}")

    async def set_file(self, selector: str, path: Path) -> None:
        root = await self.send("DOM.getDocument")
        node = await self.send("DOM.querySelector", nodeId=root["root"]["nodeId"], selector=selector)
        await self.send("DOM.setFileInputFiles", files=[str(path)], nodeId=node["nodeId"])

    async def screenshot(self, path: Path) -> None:
        shot = await self.send("Page.captureScreenshot", format="png")
        path.write_bytes(base64.b64decode(shot["data"]))

    async def close(self) -> None:
        await self.ws.close()
