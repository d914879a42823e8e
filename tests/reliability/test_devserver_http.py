"""Malformed and oversized HTTP against the dev server's HTTP layer (issue 20, item 3): real sockets on 127.0.0.1."""

from __future__ import annotations

import asyncio
import socket
import time

import pytest
from flarebind.runtime import devserver, http_limits


async def _app(scope, receive, send):
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    out = b"ok %d" % len(body)
    headers = [(b"content-type", b"text/plain"), (b"content-length", str(len(out)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": out})


@pytest.fixture
async def server(monkeypatch):
    monkeypatch.setattr(http_limits, "HEADER_READ_TIMEOUT", 0.5)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    sock.setblocking(False)
    started = asyncio.Event()
    uv = devserver._make_server(_app, "127.0.0.1", sock.getsockname()[1], started.set)
    task = asyncio.ensure_future(uv.serve(sockets=[sock]))
    await asyncio.wait_for(started.wait(), 10)
    yield sock.getsockname()[1]
    uv.should_exit = True
    await asyncio.wait_for(task, 10)
    sock.close()


async def _exchange(port: int, data: bytes, *, read_timeout: float = 5.0) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(data)
        await writer.drain()
    except ConnectionError:
        pass
    try:
        return await asyncio.wait_for(reader.read(), read_timeout)
    except ConnectionError:
        return b""
    finally:
        writer.close()


def _status(response: bytes) -> int:
    return int(response.split(b" ", 2)[1])


async def test_normal_request_and_limits_at_the_edge(server):
    head = b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
    assert _status(await _exchange(server, head + b"\r\n")) == 200
    # exactly at the per-header limit is fine
    value = b"v" * (http_limits.MAX_HEADER_BYTES - len(b"X-Big") - 4)
    assert _status(await _exchange(server, head + b"X-Big: " + value + b"\r\n\r\n")) == 200
    # a body arriving in the same packet as the head is not mistaken for head bytes
    big_body = b"b" * (256 * 1024)
    post = b"POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: %d\r\n\r\n" % len(big_body)
    response = await _exchange(server, post + big_body)
    assert _status(response) == 200 and response.endswith(b"ok %d" % len(big_body))


async def test_huge_header_is_refused_without_reading_it_all(server):
    reader, writer = await asyncio.open_connection("127.0.0.1", server)
    writer.write(b"GET / HTTP/1.1\r\nHost: x\r\nX-Huge: ")
    sent = 0
    refused = False
    chunk = b"a" * 65536
    try:
        while sent < 64 * 1024 * 1024:
            writer.write(chunk)
            await writer.drain()
            sent += len(chunk)
    except ConnectionError:
        refused = True
    try:
        data = await asyncio.wait_for(reader.read(), 5)
    except ConnectionResetError:  # closed with our bytes unread: TCP may reset before its 431 is read
        data = b""
    writer.close()
    assert refused and sent < 64 * 1024 * 1024  # the server stopped reading long before 64 MiB
    assert data == b"" or _status(data) == 431


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"GET /" + b"a" * (http_limits.MAX_URL_BYTES + 1) + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
        (b"GET / HTTP/1.1\r\nHost: x\r\nX-One: " + b"v" * (16 * 1024) + b"\r\n\r\n", 431),
        (
            b"GET / HTTP/1.1\r\nHost: x\r\n"
            + b"".join(b"X-%d: %s\r\n" % (i, b"v" * 1000) for i in range(40))
            + b"\r\n",
            431,
        ),
        (b"GET / HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-%d: 1\r\n" % i for i in range(300)) + b"\r\n", 431),
        (b"GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n", 400),
        (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 400),  # a TLS ClientHello on the plain port
    ],
    ids=["long-url", "one-huge-header", "head-over-32k", "too-many-headers", "malformed-header", "tls-hello"],
)
async def test_bad_heads_get_a_status_not_a_hang(server, request_bytes, status):
    assert _status(await _exchange(server, request_bytes)) == status


@pytest.mark.parametrize("partial", [b"", b"GET / HT", b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: 1"])
async def test_slow_heads_time_out(server, partial):
    started = time.monotonic()
    response = await _exchange(server, partial, read_timeout=5)
    assert time.monotonic() - started < 4  # the (test-shortened) head timeout closed it, not our read timeout
    assert _status(response) == 408


async def test_keep_alive_requests_are_not_timed_out_between_heads(server):
    reader, writer = await asyncio.open_connection("127.0.0.1", server)
    for _ in range(3):
        writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        await writer.drain()
        line = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        assert line.startswith(b"HTTP/1.1 200")
        assert await asyncio.wait_for(reader.readexactly(4), 5) == b"ok 0"
    writer.close()
