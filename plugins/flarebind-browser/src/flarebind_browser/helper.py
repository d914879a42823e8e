"""Browser Rendering for Python Workers: a small puppeteer over the binding's DevTools connection.

Puppeteer is JavaScript-only; this is the same model in Python, built only on ``env.BROWSER.fetch`` (so it drives
the local Chromium and any Fetcher that speaks the binding's protocol)::

    from flarebind_browser.helper import launch          # also `from workers.browser import launch` in a Worker

    async with await launch(env.BROWSER) as browser:
        page = await browser.new_page()
        await page.goto("https://example.com")
        png = await page.screenshot()
        html = await page.content()

plus ``sessions``/``history``/``limits``/``connect`` as in ``@cloudflare/puppeteer``, and the quick actions of the
REST API (``content``, ``screenshot``, ``pdf``, ``markdown``, ``links``, ``snapshot``) as one-call helpers.
Method names are snake_case (``new_page``, ``set_viewport``); options are keyword arguments.
"""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any
from urllib.parse import quote

from flarebind.plugin import js_object

from flarebind_browser.cdp import DevtoolsConnection
from flarebind_browser.errors import BrowserError

HOST = "http://fake.host"  # the host @cloudflare/puppeteer uses; the binding ignores it
DEFAULT_VIEWPORT = {"width": 800, "height": 600}  # puppeteer's default
NAVIGATION_TIMEOUT = 30.0  # seconds, puppeteer's default
_LIFECYCLE = {"load": "load", "domcontentloaded": "DOMContentLoaded", "networkidle0": "networkIdle",
              "networkidle2": "networkAlmostIdle"}  # fmt: skip
_PAPER = {"letter": (8.5, 11), "legal": (8.5, 14), "tabloid": (11, 17), "a3": (11.7, 16.54), "a4": (8.27, 11.7),
          "a5": (5.83, 8.27)}  # fmt: skip
NO_WEBSOCKET = (
    "The Browser binding {binding} answered /v1/connectDevtools without a WebSocket. A remote Browser binding's "
    "DevTools connection cannot cross the flarebind proxy (its protocol v1 carries no WebSockets); /v1/acquire, "
    "/v1/sessions, /v1/history and /v1/limits do work remotely. Drive pages with the local Chromium (omit "
    "`remote = true`)."
)


async def _get_json(binding: Any, path: str, method: str = "GET") -> Any:
    response = await binding.fetch(f"{HOST}{path}", method=method)
    text = await response.text()
    if not 200 <= response.status < 300:
        raise BrowserError(
            f"Unable to {path.split('?')[0].rsplit('/', 1)[-1]}: code: {response.status}: message: {text}"
        )
    return js_object(json.loads(text))


async def sessions(binding: Any) -> list[Any]:
    """Open sessions: ``[{sessionId, startTime, connectionId?, connectionStartTime?}]``."""
    return list((await _get_json(binding, "/v1/sessions"))["sessions"])


async def history(binding: Any) -> list[Any]:
    """Recently closed sessions, newest first."""
    return list(await _get_json(binding, "/v1/history"))


async def limits(binding: Any) -> Any:
    """``{maxConcurrentSessions, allowedBrowserAcquisitions, timeUntilNextAllowedBrowserAcquisition, …}``."""
    return await _get_json(binding, "/v1/limits")


async def acquire(binding: Any, *, keep_alive: int | None = None) -> str:
    """A new session's id (``keep_alive``: milliseconds without DevTools traffic before it closes, max 600000)."""
    query = f"?keep_alive={int(keep_alive)}" if keep_alive is not None else ""
    return str((await _get_json(binding, f"/v1/acquire{query}"))["sessionId"])


async def connect(binding: Any, session_id: str) -> Browser:
    """Attach to an open session (after another Worker ``disconnect()``-ed from it)."""
    response = await binding.fetch(
        f"{HOST}/v1/connectDevtools?browser_session={quote(session_id)}", headers={"Upgrade": "websocket"}
    )
    socket = getattr(response, "webSocket", None)
    if response.status != 101 or socket is None:
        if response.status == 101 or response.status == 200:
            raise BrowserError(
                NO_WEBSOCKET.format(binding=getattr(binding, "_name", None) or getattr(binding, "_binding", ""))
            )
        raise BrowserError(
            f"Unable to connect to session {session_id}: code: {response.status}: message: {await response.text()}"
        )
    return Browser(binding, session_id, DevtoolsConnection(socket))


async def launch(binding: Any, *, keep_alive: int | None = None) -> Browser:
    """Acquire a session and connect to it (``puppeteer.launch(env.BROWSER, {keep_alive})``)."""
    return await connect(binding, await acquire(binding, keep_alive=keep_alive))


class Browser:
    """One browser session: pages, version, ``close()`` (ends the session) and ``disconnect()`` (keeps it)."""

    def __init__(self, binding: Any, session_id: str, conn: DevtoolsConnection) -> None:
        self.binding = binding
        self.session_id = session_id
        self._conn = conn
        self._pages: list[Page] = []

    def __repr__(self) -> str:
        return f"<Browser session {self.session_id}>"

    async def __aenter__(self) -> Browser:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()

    async def version(self) -> str:
        return str((await self._conn.send("Browser.getVersion"))["product"])

    async def new_page(self, *, viewport: dict[str, Any] | None = None) -> Page:
        target = await self._conn.send("Target.createTarget", {"url": "about:blank"})
        attached = await self._conn.send("Target.attachToTarget", {"targetId": target["targetId"], "flatten": True})
        page = Page(self, target["targetId"], attached["sessionId"])
        await page._init(viewport or DEFAULT_VIEWPORT)
        self._pages.append(page)
        return page

    def pages(self) -> list[Page]:
        return [p for p in self._pages if not p.closed]

    async def close(self) -> None:
        """End the session: the browser process goes away (it is recorded in ``history``)."""
        if not self._conn.closed:
            try:
                await self._conn.send("Browser.close")
            except BrowserError:
                pass
        await self._conn.close()

    async def disconnect(self) -> None:
        """Leave the session open for ``connect()`` until its keep-alive runs out."""
        await self._conn.close()


class Page:
    """A tab: ``goto``, ``set_content``, ``content``, ``evaluate``, ``screenshot``, ``pdf``, ``set_viewport``."""

    def __init__(self, browser: Browser, target_id: str, session_id: str) -> None:
        self.browser = browser
        self.target_id = target_id
        self._session = session_id
        self._conn = browser._conn
        self.url = "about:blank"
        self.closed = False
        self.viewport: dict[str, Any] = dict(DEFAULT_VIEWPORT)
        self._lifecycle: dict[Any, set[Any]] = {}
        self._changed = asyncio.Event()

    async def _send(self, method: str, params: dict[str, Any] | None = None) -> Any:
        return await self._conn.send(method, params, self._session)

    def _on_event(self, method: str, session: str | None, params: dict[str, Any]) -> None:
        # lifecycle events are recorded as they come: a fast page can finish loading before navigate's answer
        if session == self._session and method == "Page.lifecycleEvent":
            self._lifecycle.setdefault(params.get("loaderId"), set()).add(params.get("name"))
            self._changed.set()

    async def _lifecycle_reached(self, loader: str, name: str) -> None:
        while name not in self._lifecycle.get(loader, ()):
            self._changed.clear()
            await self._changed.wait()

    async def _init(self, viewport: dict[str, Any]) -> None:
        self._conn.on(self._on_event)
        await self._send("Page.enable")
        await self._send("Page.setLifecycleEventsEnabled", {"enabled": True})
        await self._send("Runtime.enable")
        await self.set_viewport(**viewport)

    async def set_viewport(self, width: int, height: int, device_scale_factor: float = 1, **_: Any) -> None:
        self.viewport = {"width": int(width), "height": int(height), "device_scale_factor": device_scale_factor}
        await self._send(
            "Emulation.setDeviceMetricsOverride",
            {"width": int(width), "height": int(height), "deviceScaleFactor": device_scale_factor, "mobile": False},
        )

    async def goto(self, url: str, *, wait_until: str = "load", timeout: float = NAVIGATION_TIMEOUT) -> None:
        """Navigate and wait for ``wait_until`` (``load``, ``domcontentloaded``, ``networkidle0``, ``networkidle2``)."""
        event = _LIFECYCLE.get(wait_until)
        if event is None:
            raise ValueError(f"Unknown value for options.waitUntil: {wait_until}")
        result = await self._send("Page.navigate", {"url": url})
        if result.get("errorText"):
            raise BrowserError(f"{result['errorText']} at {url}")
        loader = result.get("loaderId")
        if loader is not None:  # None: a same-document navigation, already done
            try:
                await asyncio.wait_for(self._lifecycle_reached(loader, event), timeout)
            except asyncio.TimeoutError:
                raise BrowserError(f"Navigation timeout of {int(timeout * 1000)} ms exceeded", "TimeoutError") from None
        self.url = url

    async def set_content(self, html: str, *, wait_until: str = "load", timeout: float = NAVIGATION_TIMEOUT) -> None:
        """Replace the document with ``html`` (loaded as a data URL, so scripts and subresources run)."""
        data_url = "data:text/html;charset=utf-8;base64," + base64.b64encode(html.encode("utf-8")).decode("ascii")
        await self.goto(data_url, wait_until=wait_until, timeout=timeout)

    async def evaluate(self, expression: str, *args: Any) -> Any:
        """Run JS: an expression, or a function's source called with JSON ``args``; promises are awaited."""
        # one round trip for both forms: an expression's value, or a function's source called with the args
        call_args = ", ".join(json.dumps(a) for a in args)
        source = (
            f"(() => {{ const value = ({expression.strip()}); "
            f"return typeof value === 'function' ? value({call_args}) : value; }})()"
        )
        result = await self._send(
            "Runtime.evaluate", {"expression": source, "awaitPromise": True, "returnByValue": True, "userGesture": True}
        )
        details = result.get("exceptionDetails")
        if details:
            exc = details.get("exception") or {}
            raise BrowserError(str(exc.get("description") or details.get("text") or "Evaluation failed"))
        value = result.get("result", {})
        return js_object(value.get("value")) if "value" in value else None

    async def title(self) -> str:
        return str(await self.evaluate("document.title"))

    async def content(self) -> str:
        """The page's HTML, doctype included (puppeteer's ``page.content()``)."""
        return str(
            await self.evaluate(
                "(() => { let out = ''; if (document.doctype) out = new XMLSerializer().serializeToString("
                "document.doctype); if (document.documentElement) out += document.documentElement.outerHTML; "
                "return out; })()"
            )
        )

    async def screenshot(
        self,
        *,
        type: str = "png",
        full_page: bool = False,
        quality: int | None = None,
        clip: dict[str, float] | None = None,
        selector: str | None = None,
        omit_background: bool = False,
    ) -> bytes:
        """An image of the viewport (or the whole page, a clip, or one element) as bytes."""
        if type not in ("png", "jpeg", "webp"):
            raise ValueError(f"Unknown options.type value: {type}")
        params: dict[str, Any] = {"format": type, "captureBeyondViewport": full_page}
        if quality is not None and type != "png":
            params["quality"] = int(quality)
        if selector is not None:
            box = await self.evaluate(
                "(s) => { const e = document.querySelector(s); if (!e) return null; "
                "const r = e.getBoundingClientRect(); "
                "return {x: r.x + scrollX, y: r.y + scrollY, width: r.width, height: r.height}; }",
                selector,
            )
            if box is None:
                raise BrowserError(f"No element found for selector: {selector}")
            clip = dict(box)
        if full_page:
            metrics = await self._send("Page.getLayoutMetrics")
            size = metrics.get("cssContentSize") or metrics["contentSize"]
            clip = {"x": 0, "y": 0, "width": size["width"], "height": size["height"]}
        if clip is not None:
            params["clip"] = {**clip, "scale": clip.get("scale", 1)}
            params["captureBeyondViewport"] = True
        if omit_background:
            await self._send("Emulation.setDefaultBackgroundColorOverride", {"color": {"r": 0, "g": 0, "b": 0, "a": 0}})
        try:
            data = await self._send("Page.captureScreenshot", params)
        finally:
            if omit_background:
                await self._send("Emulation.setDefaultBackgroundColorOverride")
        return base64.b64decode(data["data"])

    async def pdf(
        self,
        *,
        format: str = "letter",
        landscape: bool = False,
        print_background: bool = False,
        scale: float = 1,
        margin: dict[str, Any] | None = None,
        page_ranges: str = "",
        prefer_css_page_size: bool = False,
        width: float | None = None,
        height: float | None = None,
    ) -> bytes:
        """The page printed to PDF (puppeteer's defaults: US Letter, no background)."""
        paper = _PAPER.get(format.lower())
        if paper is None:
            raise ValueError(f"Unknown paper format: {format}")
        margin = margin or {}
        params = {
            "landscape": landscape,
            "printBackground": print_background,
            "scale": scale,
            "paperWidth": width or paper[0],
            "paperHeight": height or paper[1],
            "marginTop": _inches(margin.get("top", 0)),
            "marginBottom": _inches(margin.get("bottom", 0)),
            "marginLeft": _inches(margin.get("left", 0)),
            "marginRight": _inches(margin.get("right", 0)),
            "pageRanges": page_ranges,
            "preferCSSPageSize": prefer_css_page_size,
            "generateTaggedPDF": True,
        }
        return base64.b64decode((await self._send("Page.printToPDF", params))["data"])

    async def close(self) -> None:
        if not self.closed:
            self.closed = True
            await self._conn.send("Target.closeTarget", {"targetId": self.target_id})


def _inches(value: Any) -> float:
    """A CSS length (``"1cm"``, ``"10px"``, ``"0.5in"``, a number of pixels) in inches, as puppeteer converts."""
    if isinstance(value, (int, float)):
        return float(value) / 96
    text = str(value).strip().lower()
    for unit, per_inch in (("px", 96.0), ("in", 1.0), ("cm", 2.54), ("mm", 25.4)):
        if text.endswith(unit):
            return float(text[: -len(unit)]) / per_inch
    return float(text) / 96


# ------------------------------------------------------------------------------------------ quick actions


async def _open(binding: Any, url: str | None, html: str | None, viewport: dict[str, Any] | None,
                wait_until: str) -> tuple[Browser, Page]:  # fmt: skip
    if (url is None) == (html is None):
        raise TypeError("pass exactly one of url= or html=")
    browser = await launch(binding)
    try:
        page = await browser.new_page(viewport=viewport)
        if url is not None:
            await page.goto(url, wait_until=wait_until)
        else:
            await page.set_content(str(html), wait_until=wait_until)
    except BaseException:
        await browser.close()
        raise
    return browser, page


async def content(binding: Any, *, url: str | None = None, html: str | None = None,
                  viewport: dict[str, Any] | None = None, wait_until: str = "load") -> str:  # fmt: skip
    """The rendered HTML of a page (the ``/content`` quick action)."""
    browser, page = await _open(binding, url, html, viewport, wait_until)
    try:
        return await page.content()
    finally:
        await browser.close()


async def screenshot(binding: Any, *, url: str | None = None, html: str | None = None,
                     viewport: dict[str, Any] | None = None, wait_until: str = "load",
                     **screenshot_options: Any) -> bytes:  # fmt: skip
    """An image of a page (the ``/screenshot`` quick action); options as :meth:`Page.screenshot`."""
    browser, page = await _open(binding, url, html, viewport, wait_until)
    try:
        return await page.screenshot(**screenshot_options)
    finally:
        await browser.close()


async def pdf(binding: Any, *, url: str | None = None, html: str | None = None, wait_until: str = "load",
              **pdf_options: Any) -> bytes:  # fmt: skip
    """A page printed to PDF (the ``/pdf`` quick action); options as :meth:`Page.pdf`."""
    browser, page = await _open(binding, url, html, None, wait_until)
    try:
        return await page.pdf(**pdf_options)
    finally:
        await browser.close()


async def links(binding: Any, *, url: str | None = None, html: str | None = None, visible_links_only: bool = False,
                exclude_external_links: bool = False, wait_until: str = "load") -> list[str]:  # fmt: skip
    """The absolute URLs of a page's links (the ``/links`` quick action)."""
    browser, page = await _open(binding, url, html, None, wait_until)
    try:
        found = await page.evaluate(
            "(visibleOnly, internalOnly) => [...document.querySelectorAll('a[href]')]"
            ".filter(a => !visibleOnly || (a.offsetWidth > 0 && a.offsetHeight > 0))"
            ".map(a => a.href).filter(h => /^https?:/.test(h))"
            ".filter(h => !internalOnly || new URL(h).host === location.host)",
            visible_links_only,
            exclude_external_links,
        )
        return list(dict.fromkeys(found or []))
    finally:
        await browser.close()


# a compact DOM-to-Markdown walk run in the page: headings, paragraphs, emphasis, code, links, images, lists,
# block quotes and rules; scripts, styles and hidden elements are skipped (Cloudflare's converter is its own)
_MARKDOWN_JS = r"""
() => {
  const skip = new Set(['SCRIPT', 'STYLE', 'NOSCRIPT', 'TEMPLATE', 'HEAD', 'SVG']);
  const inline = (n) => [...n.childNodes].map(walk).join('');
  const block = (s) => '\n\n' + s.trim() + '\n\n';
  function walk(n) {
    if (n.nodeType === 3) return n.textContent.replace(/\s+/g, ' ');
    if (n.nodeType !== 1 || skip.has(n.tagName)) return '';
    const t = n.tagName;
    if (/^H[1-6]$/.test(t)) return block('#'.repeat(+t[1]) + ' ' + inline(n).trim());
    switch (t) {
      case 'P': case 'DIV': case 'SECTION': case 'ARTICLE': case 'MAIN': case 'HEADER': case 'FOOTER':
        return block(inline(n));
      case 'BR': return '  \n';
      case 'HR': return block('---');
      case 'STRONG': case 'B': return '**' + inline(n).trim() + '**';
      case 'EM': case 'I': return '_' + inline(n).trim() + '_';
      case 'CODE':
        return n.parentElement && n.parentElement.tagName === 'PRE' ? n.textContent : '`' + n.textContent + '`';
      case 'PRE': return block('```\n' + n.textContent.replace(/\n$/, '') + '\n```');
      case 'A': return '[' + inline(n).trim() + '](' + n.href + ')';
      case 'IMG': return '![' + (n.alt || '') + '](' + n.src + ')';
      case 'BLOCKQUOTE': return block(inline(n).trim().split('\n').map(l => '> ' + l).join('\n'));
      case 'UL': case 'OL': {
        const items = [...n.children].filter(c => c.tagName === 'LI');
        return block(items.map((li, i) => (t === 'OL' ? (i + 1) + '. ' : '- ') + inline(li).trim()).join('\n'));
      }
      default: return inline(n);
    }
  }
  return walk(document.body || document.documentElement).replace(/\n{3,}/g, '\n\n').trim();
}
"""


async def markdown(binding: Any, *, url: str | None = None, html: str | None = None,
                   wait_until: str = "load") -> str:  # fmt: skip
    """A page as Markdown (the ``/markdown`` quick action)."""
    browser, page = await _open(binding, url, html, None, wait_until)
    try:
        return str(await page.evaluate(_MARKDOWN_JS))
    finally:
        await browser.close()


async def snapshot(binding: Any, *, url: str | None = None, html: str | None = None,
                   viewport: dict[str, Any] | None = None, wait_until: str = "load",
                   **screenshot_options: Any) -> Any:  # fmt: skip
    """``{content, screenshot}`` in one visit (the ``/snapshot`` quick action; the screenshot is base64)."""
    browser, page = await _open(binding, url, html, viewport, wait_until)
    try:
        html_out = await page.content()
        image = await page.screenshot(**screenshot_options)
        return js_object({"content": html_out, "screenshot": base64.b64encode(image).decode("ascii")})
    finally:
        await browser.close()


__all__ = [
    "Browser",
    "Page",
    "acquire",
    "connect",
    "content",
    "history",
    "launch",
    "limits",
    "links",
    "markdown",
    "pdf",
    "screenshot",
    "sessions",
    "snapshot",
]
