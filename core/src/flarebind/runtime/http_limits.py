"""Limits on the request head the dev server accepts, as Cloudflare's edge enforces them (see docs/runtime.md).

uvicorn's httptools protocol accepts a request head of any size and waits forever for a request line that never
finishes: one client could fill memory (a 64 MiB header was accepted) or hold connections open for minutes. The
subclass built here caps the URL, each header, the whole head and the number of headers, and closes a connection
whose head does not arrive in time. Cloudflare documents URLs up to 16 KB and request headers up to 32 KB in
total, 16 KB each; the header count and the timeout are flarebind's (the edge does not document them).

uvicorn is imported only when the dev server starts, so this module builds its class on first use.
"""

from __future__ import annotations

from typing import Any

MAX_URL_BYTES = 16 * 1024
MAX_HEADER_BYTES = 16 * 1024  # one header line (name + value)
MAX_HEAD_BYTES = 32 * 1024  # every header line together
MAX_HEADER_COUNT = 256
HEADER_READ_TIMEOUT = 10.0  # seconds from a connection (or a request's first byte) to the end of its head

_protocol: Any = None


class _Rejected(Exception):
    pass


def limited_protocol_class() -> Any:
    """uvicorn's ``HttpToolsProtocol`` with the limits above."""
    global _protocol
    if _protocol is None:
        _protocol = _build()
    return _protocol


def _build() -> Any:
    from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

    class LimitedHttpToolsProtocol(HttpToolsProtocol):  # type: ignore[misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._in_head = True
            self._head_bytes = 0  # raw bytes of chunks read wholly inside the current head
            self._head_parsed = 0  # URL + header bytes the parser has reported
            self._header_count = 0
            self._head_events = 0  # heads/messages completed (tells whether a chunk ended inside a head)
            self._reject: tuple[int, str] | None = None
            self._head_timer: Any = None

        # -- the head deadline ---------------------------------------------------------------------------------

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            self._arm()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def _arm(self) -> None:
            if self._head_timer is None:
                self._head_timer = self.loop.call_later(HEADER_READ_TIMEOUT, self._head_timeout)

        def _disarm(self) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
                self._head_timer = None

        def _head_timeout(self) -> None:
            self._head_timer = None
            if self._in_head and not self.transport.is_closing():
                self._send_status(408, "Request Timeout: the request head did not arrive in time.")

        # -- size and count ------------------------------------------------------------------------------------

        def data_received(self, data: bytes) -> None:
            if self._reject is not None or self.transport.is_closing():
                return
            events = self._head_events
            super().data_received(data)
            if self._reject is None and self._in_head and events == self._head_events:
                # the whole chunk is head bytes the parser may still be buffering (a header value in pieces)
                self._head_bytes += len(data)
                if self._head_bytes > MAX_URL_BYTES + MAX_HEAD_BYTES + 1024 and not self.transport.is_closing():
                    self._send_status(431, "Request Header Fields Too Large")

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self._in_head = True
            self._head_parsed = 0
            self._header_count = 0
            self._arm()

        def on_url(self, url: bytes) -> None:
            super().on_url(url)
            if len(self.url) > MAX_URL_BYTES:
                self._fail(414, "URI Too Long")

        def on_header(self, name: bytes, value: bytes) -> None:
            self._header_count += 1
            size = len(name) + len(value) + 4
            self._head_parsed += size
            if self._header_count > MAX_HEADER_COUNT:
                self._fail(431, f"Request Header Fields Too Large: more than {MAX_HEADER_COUNT} headers.")
            if size > MAX_HEADER_BYTES or self._head_parsed > MAX_HEAD_BYTES:
                self._fail(431, "Request Header Fields Too Large")
            super().on_header(name, value)

        def on_headers_complete(self) -> None:
            self._in_head = False
            self._head_bytes = 0
            self._head_events += 1
            self._disarm()
            super().on_headers_complete()

        def on_message_complete(self) -> None:
            self._in_head = True
            self._head_bytes = 0
            self._head_events += 1
            super().on_message_complete()

        def _fail(self, status: int, message: str) -> None:
            # raised inside a parser callback: httptools stops and reports a parser error, which uvicorn answers
            # through send_400_response (overridden below to send this status instead)
            self._reject = (status, message)
            raise _Rejected(message)

        def send_400_response(self, msg: str) -> None:
            if self._reject is not None:
                self._send_status(*self._reject)
            else:
                super().send_400_response(msg)

        def _send_status(self, status: int, message: str) -> None:
            self._reject = self._reject or (status, message)
            self._disarm()
            body = message.encode("ascii")
            self.transport.write(
                STATUS_LINE[status]
                + b"content-type: text/plain; charset=utf-8\r\n"
                + b"content-length: "
                + str(len(body)).encode()
                + b"\r\nconnection: close\r\n\r\n"
                + body
            )
            self.transport.close()

    return LimitedHttpToolsProtocol
