"""HTMLRewriter on lol-html (python-lolhtml): the JS class and `workers.HTMLRewriter`, element / comments / text /
document handlers, streaming, errors; the opengraph example's pattern in a Worker against a real local origin; and
`from js import X` for a name the shim lacks."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from flarebind.runtime.sdk.body import ReadableStream
from flarebind.runtime.sdk.htmlrewriter import HTMLRewriter, JsHTMLRewriter
from flarebind.runtime.sdk.response import JsResponse, Response


async def _text(response: JsResponse) -> str:
    return await response.text()


class Recorder:
    def __init__(self) -> None:
        self.seen: list[str] = []


async def test_element_handler_edits_attributes_and_content() -> None:
    class Links:
        def element(self, el):
            href = el.getAttribute("href")
            el.setAttribute("href", href.replace("developer.mozilla.org", "mynewdomain.com"))
            el.removeAttribute("target")
            assert el.tagName == "a" and el.hasAttribute("href")
            el.prepend("[", {"html": False})
            el.append("<b>!</b>", html=True)

    html = '<p><a href="https://developer.mozilla.org/x" target="_blank">docs</a></p>'
    out = JsHTMLRewriter.new().on("a", Links()).transform(JsResponse(html, headers={"content-type": "text/html"}))
    assert await _text(out) == '<p><a href="https://mynewdomain.com/x">[docs<b>!</b></a></p>'


async def test_text_escaping_and_html_content() -> None:
    class Insert:
        def element(self, el):
            el.before("<i>", {"html": False})
            el.after("<hr>", {"html": True})

    out = JsHTMLRewriter.new().on("p", Insert()).transform(JsResponse("<p>x</p>"))
    assert await _text(out) == "&lt;i&gt;<p>x</p><hr>"


async def test_remove_set_inner_content_and_remove_and_keep_content() -> None:
    class Edit:
        def element(self, el):
            if el.getAttribute("id") == "gone":
                el.remove()
            elif el.getAttribute("id") == "inner":
                el.setInnerContent("new")
            else:
                el.removeAndKeepContent()

    html = '<div id="gone">a</div><div id="inner">old</div><div id="keep">kept</div>'
    out = JsHTMLRewriter.new().on("div", Edit()).transform(JsResponse(html))
    assert await _text(out) == '<div id="inner">new</div>kept'


async def test_comments_text_and_document_handlers() -> None:
    rec = Recorder()

    class Body:
        def comments(self, c):
            rec.seen.append(f"comment:{c.text}")
            c.remove()

        def text(self, t):
            if t.text:
                t.replace(t.text.upper())
            rec.seen.append(f"last:{t.lastInTextNode}")

    class Doc:
        def doctype(self, d):
            rec.seen.append(f"doctype:{d.name}")

        def end(self, end):
            end.append("<!-- served by flarebind -->", {"html": True})

    html = "<!DOCTYPE html><body>hello <!-- note --> world</body>"
    out = JsHTMLRewriter.new().on("body", Body()).onDocument(Doc()).transform(JsResponse(html))
    assert await _text(out) == "<!DOCTYPE html><body>HELLO  WORLD</body><!-- served by flarebind -->"
    assert rec.seen[0] == "doctype:html"
    assert "comment: note " in rec.seen
    assert "last:True" in rec.seen


async def test_streams_output_before_the_input_ends() -> None:
    second_chunk = asyncio.Event()

    async def body() -> AsyncIterator[bytes]:
        yield b"<p>first</p>" * 3000  # big enough for lol-html to flush
        await second_chunk.wait()
        yield b"<p>second</p>"

    class Mark:
        def element(self, el):
            el.setAttribute("data-seen", "1")

    out = JsHTMLRewriter.new().on("p", Mark()).transform(JsResponse(ReadableStream(body())))
    chunks = out.body.__aiter__()
    first = await chunks.__anext__()  # arrives while the origin still holds back its second chunk
    assert first.startswith(b'<p data-seen="1">first</p>')
    second_chunk.set()
    rest = b"".join([c async for c in chunks])
    assert (first + rest).endswith(b'<p data-seen="1">second</p>')


async def test_content_length_is_dropped_and_status_kept() -> None:
    src = JsResponse("<p>x</p>", status=404, headers={"content-length": "8", "x-a": "b"})
    out = JsHTMLRewriter.new().on("p", object()).transform(src)
    assert out.status == 404
    assert out.headers.get("content-length") is None and out.headers.get("x-a") == "b"
    assert await _text(out) == "<p>x</p>"


def test_invalid_selector_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="Parser error"):
        JsHTMLRewriter.new().on("p[", object()).transform(JsResponse("<p>x</p>"))


async def test_sdk_class_returns_a_workers_response() -> None:
    class Title:
        def element(self, el):
            el.setInnerContent("T")

    out = HTMLRewriter().on("title", Title()).transform(Response("<title>x</title>"))
    assert isinstance(out, Response)
    assert await out.text() == "<title>T</title>"


# -- in a Worker: the opengraph example's pattern, with the origin a real local server -------------------------------

ORIGIN_HTML = (
    b'<html><head><meta property="og:title" content="old"><meta name="twitter:card" content="x">'
    b"<title>Page</title></head><body>hi</body></html>"
)


@pytest.fixture
def origin() -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("content-type", "text/html; charset=utf-8")
            self.send_header("content-length", str(len(ORIGIN_HTML)))
            self.end_headers()
            self.wfile.write(ORIGIN_HTML)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


OPENGRAPH_WORKER = """
from js import HTMLRewriter
from pyodide.ffi import create_proxy
from workers import Response, WorkerEntrypoint, fetch


class ExistingMetaRemover:
    def element(self, element):
        element.remove()


class MetaTagInjector:
    def __init__(self, og):
        self.og = og

    def element(self, element):
        for key, value in self.og.items():
            element.append(f'<meta property="og:{key}" content="{value}"/>', html=True)


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        response = await fetch(self.env.ORIGIN + "/")
        remover = create_proxy(ExistingMetaRemover())
        injector = create_proxy(MetaTagInjector({"title": "New & improved"}))
        rewriter = HTMLRewriter.new()
        rewriter.on('meta[property^="og:"]', remover)
        rewriter.on('meta[name^="twitter:"]', remover)
        rewriter.on("head", injector)
        return rewriter.transform(response.js_object)
"""


async def test_opengraph_pattern_in_a_worker(run_worker, origin: str) -> None:
    rt = await run_worker(OPENGRAPH_WORKER, vars={"ORIGIN": origin})
    response = await rt.dispatch_fetch("http://localhost/")
    body = await response.text()
    assert body == (
        '<html><head><title>Page</title><meta property="og:title" content="New & improved"/></head>'
        "<body>hi</body></html>"
    )


# -- `from js import X` for a missing name ---------------------------------------------------------------------


async def test_from_js_import_missing_name_lists_what_is_supported(run_worker) -> None:
    rt = await run_worker(
        """
        from workers import Response, WorkerEntrypoint

        class Default(WorkerEntrypoint):
            async def fetch(self, request):
                import js
                assert not hasattr(js, "WebSocketPair2")  # getattr/hasattr still see AttributeError
                try:
                    from js import WebSocketPair2
                except ImportError as exc:
                    return Response(str(exc))
                return Response("imported?")
        """
    )
    text = await (await rt.dispatch_fetch("http://localhost/")).text()
    assert "flarebind's `js` module has no 'WebSocketPair2'" in text
    assert "HTMLRewriter" in text and "fetch" in text
