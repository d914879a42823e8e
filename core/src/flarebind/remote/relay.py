"""The loopback relay behind a session's ``remote_proxy_connection_string``.

``http://127.0.0.1:<port>/<session secret>/<rest>`` is forwarded to ``<upstream>/<rest>`` (the edge preview host
or a deployed proxy) with the upstream credentials added here, so the worker process and every log only ever see
the loopback URL. Several local processes may share one relay (dev-server reloads, pytest workers): it is a plain
HTTP server and the secret in the URL is the only thing they need.

Why a hand-written server on h11 (already installed with httpx): it gives byte-level streaming both ways without
pulling an ASGI server into the core's dependencies.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import re
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import attrs
import h11
import httpx

log = logging.getLogger("flarebind.remote.relay")

#: Request header a protocol client sets on calls that may safely be sent twice (reads). GET/HEAD always may.
IDEMPOTENT_HEADER = "x-flarebind-idempotent"
#: Header carrying the deployed proxy's secret (the proxy worker's ``FLAREBIND_PROXY_SECRET``).
PROXY_SECRET_HEADER = "X-Flarebind-Proxy-Secret"

# A request body up to this size is kept in memory so the request can be replayed when the upstream is swapped
# or the preview expired before the worker saw it; larger bodies stream through and are never replayed.
REPLAYABLE_BODY_LIMIT = 256 * 1024
MAX_ATTEMPTS = 3
READ_CHUNK = 64 * 1024
COALESCE_LIMIT = 64 * 1024  # responses up to this size are written with a single write

_HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "trailers",
    "transfer-encoding",
    "upgrade",
    "host",
}
# Headers a local caller must never be able to set or read on the upstream leg: they are ours to inject.
_RESERVED = {
    PROXY_SECRET_HEADER.lower(),
    "cf-workers-preview-token",
    "cf-access-client-id",
    "cf-access-client-secret",
    "authorization-upstream",
}
_LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}

EXPIRED_MARKERS = (b"Invalid Workers Preview configuration", b"error code: 1031")

RESTARTED_TEXT = (
    "Your worker restarted mid-request. Please try sending the request again. "
    "Only GET or HEAD requests are retried automatically."
)
ACCESS_BLOCKED_TEXT = (
    "Cloudflare Access blocked this remote bindings request. Set CLOUDFLARE_ACCESS_CLIENT_ID and "
    "CLOUDFLARE_ACCESS_CLIENT_SECRET to a service token that the Access application in front of {host} allows."
)


@attrs.define(kw_only=True)
class Upstream:
    """Where requests go and which credentials the relay adds (never logged: ``repr`` hides the headers)."""

    url: str
    headers: dict[str, str] = attrs.field(factory=dict, repr=False)
    host_header: str | None = None  # sent as Host when ``url`` points at a stand-in origin (tests)
    preview: bool = False  # an edge preview: 400 + expiry markers mean "re-provision"
    generation: int = 0
    display_host: str = ""


_DOT_SEGMENT = re.compile(r"(?:\.|%2e){1,2}", re.IGNORECASE)


def confine_path(rest: str) -> str | None:
    """``rest`` (``/path?query`` after the session secret) with dot segments resolved, or ``None`` if it would climb
    above the upstream's base path.

    The upstream URL may carry a base path (``http://host/base``) and HTTP clients resolve ``..`` before sending, so
    ``/<secret>/../../etc/passwd`` would otherwise reach ``/etc/passwd`` on the upstream *with* the proxy secret
    attached. Percent-encoded dots (``%2e``) count as dots, and a backslash as a separator, because some servers
    decode or translate them before routing.
    """
    path, sep, query = rest.partition("?")
    segments = path.replace("\\", "/").split("/")
    out: list[str] = []
    for segment in segments[1:]:
        if _DOT_SEGMENT.fullmatch(segment):
            if len(segment.replace("%2e", ".").replace("%2E", ".")) == 2:  # ".."
                if not out:
                    return None
                out.pop()
            continue
        out.append(segment)
    # a trailing dot segment leaves a trailing slash, as RFC 3986 resolution does
    trailing = "/" if segments[-1:] and _DOT_SEGMENT.fullmatch(segments[-1]) and out else ""
    return "/" + "/".join(out) + trailing + sep + query


def is_loopback_host(host_header: str | None) -> bool:
    if not host_header:
        return False
    host = host_header.strip().lower()
    if host.startswith("["):
        name = host[: host.find("]") + 1] if "]" in host else host
    else:
        name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    return name in _LOOPBACK_HOSTS


def _idempotent(method: str, headers: list[tuple[bytes, bytes]]) -> bool:
    if method in ("GET", "HEAD", "OPTIONS"):
        return True
    return any(k.lower() == IDEMPOTENT_HEADER.encode() and v.strip() == b"1" for k, v in headers)


# Which protocol calls only read is each binding type's declaration (``BindingType.reads``; docs/remote-protocol.md:
# the protocol does not mark calls, so the relay decides from the ops). Anything a type does not declare - writes,
# RPC methods of service bindings, framed bodies, types no plugin declares - is never replayed after it may have
# reached the worker.
def _declared_type(type_name: str) -> Any:
    from flarebind.plugins import get_plugins

    return get_plugins().registry.get_type(type_name)


def calls_are_reads(binding_types: dict[str, str], body: bytes) -> bool:
    """True when a JSON protocol call (``{"binding", "calls", ...}``) only reads, so it is safe to send twice."""
    try:
        envelope = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return False
    if not isinstance(envelope, dict) or "stream" in envelope:
        return False
    binding = envelope.get("binding")
    type_name = binding_types.get(binding) if isinstance(binding, str) else None
    declared = _declared_type(type_name) if type_name is not None else None
    if declared is None:
        return False
    pipelines = [envelope.get("calls"), *(envelope.get("extra") or [])]
    for ops in pipelines:
        if not isinstance(ops, list):
            return False
        for op in ops:
            if not isinstance(op, dict) or not declared.is_read(op):
                return False
    return True


class _ClientGone(Exception):
    pass


@attrs.define
class _Flight:
    entered: bool = False


@attrs.define
class RelayStats:
    requests: int = 0
    rejected_secret: int = 0
    rejected_host: int = 0
    rejected_path: int = 0
    retries: int = 0
    expiries: int = 0


class Relay:
    """A loopback HTTP server forwarding ``/<secret>/…`` to the current :class:`Upstream`."""

    def __init__(
        self,
        *,
        client: httpx.AsyncClient | None = None,
        on_expired: Callable[[int], Awaitable[None]] | None = None,
        max_connections: int = 32,
    ) -> None:
        self.secret = secrets.token_urlsafe(32)
        self._secret_prefix = f"/{self.secret}/".encode()
        self._own_client = client is None
        # One pooled client for the whole session: connections to the upstream are reused across calls and
        # across local processes. No read/pool timeout: R2 bodies and AI streams may legitimately be slow. Idle
        # connections are kept 60 s (httpx's default is 5 s): a dev session calls in bursts, and each new connection
        # to the edge costs a TLS handshake; on a busy machine 5 s expired pooled connections between bursts.
        self.client = client or httpx.AsyncClient(
            timeout=httpx.Timeout(30.0, read=None, write=None, pool=None),
            limits=httpx.Limits(
                max_connections=max_connections, max_keepalive_connections=max_connections, keepalive_expiry=60.0
            ),
        )
        self.on_expired = on_expired
        #: binding name -> type, so the relay can tell read-only protocol calls (retried) from writes
        self.binding_types: dict[str, str] = {}
        self._upstream: Upstream | None = None
        self._open = asyncio.Event()
        self._inflight = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._server: asyncio.base_events.Server | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._access_warned = False
        self.stats = RelayStats()
        self.port = 0

    # ----------------------------------------------------------------------------------------------- control
    @property
    def connection_string(self) -> str:
        return f"http://127.0.0.1:{self.port}/{self.secret}/"

    @property
    def upstream(self) -> Upstream | None:
        return self._upstream

    def set_upstream(self, upstream: Upstream) -> None:
        generation = self._upstream.generation + 1 if self._upstream else 1
        upstream.generation = generation
        self._upstream = upstream
        log.debug("relay upstream set (generation %d, host %s)", generation, upstream.display_host or "-")

    def pause(self) -> None:
        """New requests wait (queued) until :meth:`play`; in-flight ones continue."""
        self._open.clear()

    def play(self) -> None:
        if self._upstream is not None:
            self._open.set()

    @property
    def paused(self) -> bool:
        return not self._open.is_set()

    @property
    def inflight(self) -> int:
        return self._inflight

    async def drain(self, timeout: float | None) -> bool:
        """Wait until no request is in flight (or ``timeout`` seconds); True when drained."""
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except asyncio.TimeoutError:
            return False
        return True

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._on_connection, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        log.debug("relay listening on 127.0.0.1:%d", self.port)

    async def aclose(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(BaseException):
                await task
        if self._server is not None:
            with contextlib.suppress(Exception):
                await self._server.wait_closed()
            self._server = None
        if self._own_client:
            await self.client.aclose()

    # ------------------------------------------------------------------------------------------ HTTP server
    async def _on_connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        conn = h11.Connection(h11.SERVER)
        try:
            while True:
                event = await self._next_event(conn, reader)
                if isinstance(event, h11.Request):
                    await self._serve(conn, event, reader, writer)
                else:
                    break
                if conn.our_state is h11.DONE and conn.their_state is h11.DONE:
                    conn.start_next_cycle()
                else:
                    break
        except (_ClientGone, ConnectionError, h11.ProtocolError, asyncio.IncompleteReadError):
            pass
        except asyncio.CancelledError:
            pass
        finally:
            with contextlib.suppress(Exception):
                writer.close()
            if task is not None:
                self._tasks.discard(task)

    @staticmethod
    async def _next_event(conn: h11.Connection, reader: asyncio.StreamReader) -> Any:
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                data = await reader.read(READ_CHUNK)
                conn.receive_data(data)
                if not data and conn.their_state is not h11.DONE:
                    # EOF: h11 turns it into ConnectionClosed (or a ProtocolError mid-message)
                    continue
                continue
            return event

    @staticmethod
    async def _send(conn: h11.Connection, writer: asyncio.StreamWriter, event: Any) -> None:
        data = conn.send(event)
        if data:
            writer.write(data)
            try:
                await writer.drain()
            except ConnectionError as exc:
                raise _ClientGone from exc

    async def _reply(
        self, conn: h11.Connection, writer: asyncio.StreamWriter, status: int, text: str, *, close: bool = False
    ) -> None:
        body = text.encode()
        headers = [("content-type", "text/plain;charset=UTF-8"), ("content-length", str(len(body)))]
        if close:
            headers.append(("connection", "close"))
        await self._send(conn, writer, h11.Response(status_code=status, headers=headers))
        await self._send(conn, writer, h11.Data(data=body))
        await self._send(conn, writer, h11.EndOfMessage())

    async def _serve(
        self, conn: h11.Connection, request: h11.Request, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.stats.requests += 1
        headers = list(request.headers)
        host = next((v.decode("latin-1") for k, v in headers if k == b"host"), None)
        # DNS rebinding: a web page that resolves its own name to 127.0.0.1 still sends its own Host header.
        if not is_loopback_host(host):
            self.stats.rejected_host += 1
            log.debug("relay rejected a request with a non-loopback Host header")
            await self._reply(
                conn, writer, 403, "Forbidden: the remote bindings relay only accepts loopback hosts.", close=True
            )
            return
        target = request.target
        if not (
            len(target) >= len(self._secret_prefix)
            and hmac.compare_digest(target[: len(self._secret_prefix)], self._secret_prefix)
        ):
            self.stats.rejected_secret += 1
            log.debug("relay rejected a request without the session secret")
            await self._reply(conn, writer, 401, "Unauthorized: missing or wrong remote session secret.", close=True)
            return
        rest = confine_path(target[len(self._secret_prefix) - 1 :].decode("latin-1"))  # keeps the leading "/"
        if rest is None:
            self.stats.rejected_path += 1
            log.debug("relay rejected a path that climbs above the upstream base")
            await self._reply(
                conn, writer, 400, "Bad Request: the path leaves the remote proxy's base path.", close=True
            )
            return
        method = request.method.decode()

        # Read a small body completely so the request can be replayed; stream anything larger.
        prefix = bytearray()
        complete = False
        while len(prefix) <= REPLAYABLE_BODY_LIMIT:
            event = await self._next_event(conn, reader)
            if isinstance(event, h11.Data):
                prefix += event.data
            elif isinstance(event, h11.EndOfMessage):
                complete = True
                break
            else:
                raise _ClientGone
        replayable = complete
        idempotent = replayable and (
            _idempotent(method, headers)
            or (
                method == "POST"
                and bool(prefix)
                and prefix[:1] == b"{"
                and calls_are_reads(self.binding_types, bytes(prefix))
            )
        )

        async def body_stream() -> AsyncIterator[bytes]:
            if prefix:
                yield bytes(prefix)
            while True:
                event = await self._next_event(conn, reader)
                if isinstance(event, h11.Data):
                    yield event.data
                elif isinstance(event, h11.EndOfMessage):
                    return
                else:
                    raise _ClientGone

        forward_headers = [
            (k.decode("latin-1"), v.decode("latin-1"))
            for k, v in headers
            if k.decode("latin-1").lower() not in _HOP_BY_HOP
            and k.decode("latin-1").lower() not in _RESERVED
            and not (complete and k == b"content-length")
        ]
        if complete:
            forward_headers.append(("content-length", str(len(prefix))))

        state = _Flight()
        try:
            response = await self._forward(
                method,
                rest,
                forward_headers,
                bytes(prefix) if complete else body_stream(),
                replayable=replayable,
                idempotent=idempotent,
                state=state,
            )
            if isinstance(response, tuple):
                status, text = response
                await self._reply(conn, writer, status, text, close=not complete)
                return
            try:
                await self._stream_response(conn, writer, response, head=method == "HEAD")
            finally:
                await response.aclose()
        finally:
            self._leave(state)

    async def _stream_response(
        self, conn: h11.Connection, writer: asyncio.StreamWriter, response: httpx.Response, *, head: bool
    ) -> None:
        out_headers = [
            (k, v)
            for k, v in response.headers.multi_items()
            if k.lower() not in _HOP_BY_HOP and k.lower() not in _RESERVED
        ]
        head_bytes = conn.send(
            h11.Response(
                status_code=response.status_code, headers=out_headers, reason=response.reason_phrase.encode() or b""
            )
        )
        length = response.headers.get("content-length")
        if head or (length is not None and length.isdigit() and int(length) <= COALESCE_LIMIT):
            # A small answer (most binding calls) goes out in one write: fewer syscalls and wake-ups.
            parts = [head_bytes or b""]
            if not head:
                async for chunk in response.aiter_raw():
                    parts.append(conn.send(h11.Data(data=chunk)) or b"")
            parts.append(conn.send(h11.EndOfMessage()) or b"")
            writer.write(b"".join(parts))
            try:
                await writer.drain()
            except ConnectionError as exc:
                raise _ClientGone from exc
            return
        if head_bytes:
            writer.write(head_bytes)
        # Raw bytes: a compressed body passes through with its content-encoding untouched; each chunk is written
        # as it arrives (no buffering of large bodies).
        async for chunk in response.aiter_raw():
            if chunk:
                await self._send(conn, writer, h11.Data(data=chunk))
        await self._send(conn, writer, h11.EndOfMessage())

    # ------------------------------------------------------------------------------------------- forwarding
    async def _enter(self, state: _Flight) -> Upstream:
        """Wait at the gate (not counted as in flight, so a drain does not wait for queued calls), then enter."""
        self._leave(state)
        while not self._open.is_set():
            await self._open.wait()
        state.entered = True
        self._inflight += 1
        self._idle.clear()
        assert self._upstream is not None
        return self._upstream

    def _leave(self, state: _Flight) -> None:
        if state.entered:
            state.entered = False
            self._inflight -= 1
            if self._inflight == 0:
                self._idle.set()

    async def _forward(
        self,
        method: str,
        rest: str,
        headers: list[tuple[str, str]],
        body: bytes | AsyncIterator[bytes],
        *,
        replayable: bool,
        idempotent: bool,
        state: _Flight,
    ) -> httpx.Response | tuple[int, str]:
        attempt = 0
        while True:
            attempt += 1
            upstream = await self._enter(state)
            request_headers = list(headers)
            if upstream.host_header:
                request_headers.append(("host", upstream.host_header))
            request_headers.extend(upstream.headers.items())
            request = self.client.build_request(
                method,
                upstream.url.rstrip("/") + rest,
                headers=request_headers,
                content=body,
            )
            try:
                response = await self.client.send(request, stream=True)
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                # Nothing reached the upstream: any replayable request may go again.
                if replayable and attempt < MAX_ATTEMPTS:
                    self.stats.retries += 1
                    await asyncio.sleep(0.05 * attempt)
                    continue
                if "Name or service not known" in str(exc) or "nodename nor servname" in str(exc):
                    return 502, (
                        f"Could not access `{upstream.display_host}`. "
                        "Make sure the domain is set up to be proxied by Cloudflare."
                    )
                return 502, f"The remote proxy could not be reached: {type(exc).__name__}"
            except httpx.TransportError as exc:
                # The upstream may have seen the request (restart/swap mid-request): only idempotent calls retry.
                if idempotent and attempt < MAX_ATTEMPTS:
                    self.stats.retries += 1
                    continue
                return 503, RESTARTED_TEXT if upstream.generation != self._current_generation() else (
                    f"The remote proxy connection failed: {type(exc).__name__}"
                )

            if upstream.preview and response.status_code == 400:
                payload = await response.aread()
                if any(marker in payload for marker in EXPIRED_MARKERS) or b'"code":10049' in payload.replace(
                    b" ", b""
                ):
                    await response.aclose()
                    self.stats.expiries += 1
                    await self._expired(upstream.generation)
                    # The edge rejected the request before the worker saw it, so a replayable body may go again.
                    if replayable and attempt < MAX_ATTEMPTS:
                        self.stats.retries += 1
                        continue
                    return 503, RESTARTED_TEXT
                return response
            if self._access_blocked(response):
                await response.aclose()
                if not self._access_warned:
                    self._access_warned = True
                    log.warning("Cloudflare Access blocked a remote bindings request")
                return 403, ACCESS_BLOCKED_TEXT.format(host=upstream.display_host or "the proxy")
            return response

    def _current_generation(self) -> int:
        return self._upstream.generation if self._upstream else 0

    async def _expired(self, generation: int) -> None:
        if self.on_expired is None:
            return
        try:
            await self.on_expired(generation)
        except Exception as exc:  # the next attempt reports what is left; keep the cause in the debug log
            log.debug("re-provisioning after expiry failed: %s", type(exc).__name__)

    @staticmethod
    def _access_blocked(response: httpx.Response) -> bool:
        if response.status_code in (301, 302, 303, 307, 308):
            return "cloudflareaccess.com" in response.headers.get("location", "")
        return response.status_code == 403 and "cf-access-domain" in response.headers
