"""The opengraph example's pattern in a real `flarebind dev`, its outbound `fetch("https://example.com/…")` answered by
a local HTTPS origin (through ``HTTPS_PROXY`` and ``SSL_CERT_FILE``, so the Worker is unchanged): `js.HTMLRewriter`
with `create_proxy` handlers, attribute-prefix selectors removing the page's own OpenGraph / Twitter tags, `prepend(…,
html=True)` into `<head>`, and `transform(response.js_object)`; plus an async handler and `onEndTag` on the same
stream."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from .devproc import DevProcess
from .local_https import local_https_site

PAGE = (
    b"<!doctype html><html><head><title>Example Domain</title>"
    b'<meta property="og:title" content="old title"><meta name="twitter:card" content="summary">'
    b"</head><body><h1>Example Domain</h1></body></html>"
)

WORKER = """
import asyncio
from html import escape
from urllib.parse import urlparse

from js import HTMLRewriter
from pyodide.ffi import create_proxy
from workers import Request, WorkerEntrypoint, fetch


class DropTag:
    def element(self, element):
        element.remove()


class InjectMeta:
    def __init__(self, tags):
        self.tags = tags

    def element(self, head):
        for attr, key, value in self.tags:
            head.prepend(f'<meta {attr}="{escape(key)}" content="{escape(value, quote=True)}" />', html=True)


class MarkBody:
    async def element(self, body):
        await asyncio.sleep(0)  # an async handler: awaited before the stream goes on
        body.setAttribute("data-path", body.getAttribute("data-path") or "rewritten")

        def closing(tag):
            tag.before("<footer>by flarebind</footer>", html=True)

        body.onEndTag(closing)


class Default(WorkerEntrypoint):
    async def fetch(self, request: Request):
        path = urlparse(request.url).path
        title = "Blog: " + path.removeprefix("/blog/").replace("-", " ").title()
        response = await fetch(f"https://example.com{path}")
        rewriter = HTMLRewriter.new()
        remover = create_proxy(DropTag())
        rewriter.on('meta[property^="og:"]', remover)
        rewriter.on('meta[name^="twitter:"]', remover)
        tags = [("property", "og:title", title), ("name", "twitter:title", title), ("property", "og:type", "article")]
        rewriter.on("head", create_proxy(InjectMeta(tags)))
        rewriter.on("body", create_proxy(MarkBody()))
        return rewriter.transform(response.js_object)
"""

CONFIG = """{
  "name": "python-opengraph",
  "main": "src/entry.py",
  "compatibility_date": "2025-11-02",
  "compatibility_flags": ["python_workers"]
}
"""


def test_opengraph_pattern_against_a_local_https_origin(tmp_path: Path, clean_env: dict[str, str]) -> None:
    pytest.importorskip("trustme")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "entry.py").write_text(textwrap.dedent(WORKER))
    (tmp_path / "wrangler.jsonc").write_text(CONFIG)
    with local_https_site("example.com", PAGE, tmp_path) as site:
        dev = DevProcess(tmp_path, env={**clean_env, **site.env})
        try:
            dev.wait_for_output("Ready on")
            response = dev.get("/blog/hello-world")
            assert response.status_code == 200, response.text
            assert response.headers["content-type"] == "text/html; charset=UTF-8"
            assert response.text == (
                '<!doctype html><html><head><meta property="og:type" content="article" />'
                '<meta name="twitter:title" content="Blog: Hello World" />'
                '<meta property="og:title" content="Blog: Hello World" />'
                "<title>Example Domain</title></head>"
                '<body data-path="rewritten"><h1>Example Domain</h1><footer>by flarebind</footer></body></html>'
            )
            assert site.requested == ["/blog/hello-world"]
        finally:
            assert dev.stop() == 0, dev.output
