"""The relay confines every path under the upstream's base and never forwards what it must not (issue 20, item 2)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from flarebind.remote.relay import PROXY_SECRET_HEADER, Relay, Upstream, confine_path


class _Upstream:
    """A real HTTP server on 127.0.0.1 that records the path and headers of everything that reaches it."""

    def __init__(self) -> None:
        seen = self.seen = []

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                seen.append((self.path, dict(self.headers)))
                self.send_response(200)
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def upstream() -> Iterator[_Upstream]:
    server = _Upstream()
    yield server
    server.stop()


async def _raw(port: int, target: str, extra: str = "") -> int:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{extra}Connection: close\r\n\r\n".encode())
    await writer.drain()
    data = await asyncio.wait_for(reader.read(), 10)
    writer.close()
    return int(data.split(b" ", 2)[1])


ESCAPES = [
    "../../etc/passwd",
    "../etc/passwd",
    "..",
    "a/../../etc/passwd",
    "%2e%2e/%2e%2e/etc/passwd",
    "%2E%2e/etc/passwd",
    ".%2e/etc/passwd",
    "..\\..\\etc\\passwd",
    "./../etc/passwd",
]


async def test_dot_segments_never_leave_the_base(upstream):
    relay = Relay()
    await relay.start()
    try:
        relay.set_upstream(Upstream(url=f"{upstream.url}/base", headers={PROXY_SECRET_HEADER: "s3cret"}))
        relay.play()
        for attack in ESCAPES:
            status = await _raw(relay.port, f"/{relay.secret}/{attack}")
            assert status == 400, attack
        assert upstream.seen == []
        assert relay.stats.rejected_path == len(ESCAPES)
        # dot segments that stay inside the base are resolved, and the request goes under the base
        for inside, expected in [
            ("a/../b", "/base/b"),
            ("a/./b/", "/base/a/b/"),
            ("x/%2e%2e/y?q=../z", "/base/y?q=../z"),
            ("ok", "/base/ok"),
        ]:
            assert await _raw(relay.port, f"/{relay.secret}/{inside}") == 200
            path, headers = upstream.seen[-1]
            assert path == expected, inside
            assert headers[PROXY_SECRET_HEADER] == "s3cret"
        assert all(path.startswith("/base/") for path, _ in upstream.seen)
    finally:
        await relay.aclose()


async def test_header_attacks_do_not_reach_upstream_credentials(upstream):
    relay = Relay()
    await relay.start()
    try:
        relay.set_upstream(Upstream(url=f"{upstream.url}/base", headers={PROXY_SECRET_HEADER: "s3cret"}))
        relay.play()
        # a caller-supplied proxy secret is dropped; ours is the one that arrives
        assert await _raw(relay.port, f"/{relay.secret}/h", f"{PROXY_SECRET_HEADER}: forged\r\n") == 200
        assert upstream.seen[-1][1][PROXY_SECRET_HEADER] == "s3cret"
        # a header line with a bare CR is malformed HTTP: rejected, nothing forwarded
        before = len(upstream.seen)
        reader, writer = await asyncio.open_connection("127.0.0.1", relay.port)
        writer.write(f"GET /{relay.secret}/h HTTP/1.1\r\nHost: 127.0.0.1\r\nX-A: a\rX-B: b\r\n\r\n".encode())
        await writer.drain()
        data = await asyncio.wait_for(reader.read(), 10)
        writer.close()
        assert not data.startswith(b"HTTP/1.1 200")
        assert len(upstream.seen) == before
    finally:
        await relay.aclose()


@pytest.mark.parametrize(
    ("rest", "expected"),
    [
        ("/", "/"),
        ("/a/b", "/a/b"),
        ("/a/../b", "/b"),
        ("/a/..", "/"),
        ("/a/b/..", "/a/"),
        ("/a/.", "/a/"),
        ("/a?x=/../..", "/a?x=/../.."),
        ("/..", None),
        ("/../a", None),
        ("/a/../../b", None),
        ("/%2E%2E", None),
        ("/...", "/..."),
    ],
)
def test_confine_path(rest, expected):
    assert confine_path(rest) == expected
