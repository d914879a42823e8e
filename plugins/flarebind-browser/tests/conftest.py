from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from flarebind.plugin import LocalContext

# the page the tests render: a known background colour, a title, text and links
PAGE = b"""<!DOCTYPE html>
<html><head><title>flarebind test page</title>
<style>html, body { margin: 0; background: rgb(0, 128, 255); } h1 { color: white; margin: 0 }</style></head>
<body><h1>Rendered by Chromium</h1><p>Hello from <a href="/other">another page</a> and
<a href="https://example.com/external">an external one</a>.</p>
<div style="position:absolute; left:400px; top:300px; width:50px; height:50px; background: rgb(255, 0, 0)"></div>
</body></html>"""


class _Pages(BaseHTTPRequestHandler):
    def log_message(self, format, *args):  # quiet
        pass

    def do_GET(self):
        body = PAGE if self.path in ("/", "/page") else b"<html><body><p>other</p></body></html>"
        self.send_response(200)
        self.send_header("content-type", "text/html; charset=utf-8")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def page_url():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Pages)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/page"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
async def ctx(tmp_path):
    context = LocalContext(in_memory=True, project_dir=tmp_path)
    yield context
    await context.dispose()


@pytest.fixture
def browser_binding(ctx):
    from flarebind_browser.local import make_local

    return make_local("BROWSER", {"type": "browser"}, ctx)
