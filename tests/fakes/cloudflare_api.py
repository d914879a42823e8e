"""A local HTTP stand-in for the Cloudflare API endpoints a remote session uses, and for the preview host.

It is the one allowed mock in the test suite: Cloudflare's public API. Request and response shapes follow
``shared/reference/remote-bindings-upstream.md`` §3.4 and ``binding-semantics.md`` §0 (v4 envelope, error codes).
It runs a real HTTP/1.1 server on 127.0.0.1 in a thread, records every request, and counts TCP connections so
tests can check connection reuse.

Served paths (under ``/client/v4``):
  GET  /accounts/{a}/workers/subdomain/edge-preview     -> {token, exchange_url?}
  GET  /exchange/{n}                                     -> {token}           (the exchange_url target)
  GET  /accounts/{a}/workers/subdomain                   -> {subdomain} | error 10007
  PUT  /accounts/{a}/workers/subdomain                   -> {subdomain}
  GET  /accounts/{a}/workers/subdomains/{name}           -> error 10032 (free) | error 10031 (taken)
  POST /accounts/{a}/workers/scripts/{s}/edge-preview    -> {preview_token, tail_url}
  GET  /user/tokens/verify, /accounts/{a}/tokens/verify  -> {id, status}
Any request carrying ``cf-workers-preview-token`` is "preview traffic": it is checked (token valid, proxy secret
equal to the uploaded ``FLAREBIND_PROXY_SECRET``) and answered like a tiny echo worker.
"""

from __future__ import annotations

import email.parser
import email.policy
import json
import re
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

API_PREFIX = "/client/v4"


def envelope(result: Any) -> dict[str, Any]:
    return {"success": True, "errors": [], "messages": [], "result": result}


def failure(code: int, message: str) -> dict[str, Any]:
    return {"success": False, "errors": [{"code": code, "message": message}], "messages": [], "result": None}


def parse_multipart(content_type: str, body: bytes) -> dict[str, dict[str, Any]]:
    msg = email.parser.BytesParser(policy=email.policy.default).parsebytes(
        f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode() + body
    )
    parts: dict[str, dict[str, Any]] = {}
    for part in msg.iter_parts():
        name = part.get_param("name", header="content-disposition")
        parts[str(name)] = {
            "filename": part.get_filename(),
            "content_type": part.get_content_type(),
            "data": part.get_payload(decode=True),
        }
    return parts


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256  # the default backlog of 5 resets connections under 100 concurrent calls


class LocalHttpServer:
    """A threaded HTTP/1.1 server on 127.0.0.1 with keep-alive, a request log and a connection counter."""

    def __init__(self) -> None:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out in separate writes: no 40 ms delayed-ACK stalls

            def setup(self) -> None:
                super().setup()
                with owner.lock:
                    owner.connections += 1

            def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
                pass

            def _handle(self) -> None:
                if self.headers.get("upgrade", "").lower() == "websocket":
                    self._hold_websocket()
                    return
                length = int(self.headers.get("content-length") or 0)
                if self.headers.get("transfer-encoding", "").lower() == "chunked":
                    body = self._read_chunked()
                else:
                    body = self.rfile.read(length) if length else b""
                record = {
                    "method": self.command,
                    "path": self.path,
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                    "body": body,
                }
                with owner.lock:
                    owner.requests.append(record)
                status, headers, payload = owner.handle(record)
                if status == 0:  # drop the connection without an answer (a proxy that died mid-request)
                    self.close_connection = True
                    return
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                if isinstance(payload, bytes):
                    self.send_header("content-length", str(len(payload)))
                    self.end_headers()
                    if self.command != "HEAD":
                        self.wfile.write(payload)
                else:  # an iterator of chunks: stream with chunked encoding
                    self.send_header("transfer-encoding", "chunked")
                    self.end_headers()
                    for chunk in payload:
                        self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                        self.wfile.flush()
                    self.wfile.write(b"0\r\n\r\n")

            def _hold_websocket(self) -> None:
                # the preview's tail_url: wrangler opens a WebSocket there; accept it and keep it open, silent
                import base64
                import hashlib

                key = self.headers.get("sec-websocket-key", "")
                accept = base64.b64encode(
                    hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()
                ).decode()
                self.send_response(101)
                self.send_header("Upgrade", "websocket")
                self.send_header("Connection", "Upgrade")
                self.send_header("Sec-WebSocket-Accept", accept)
                protocol = self.headers.get("sec-websocket-protocol")
                if protocol:
                    self.send_header("Sec-WebSocket-Protocol", protocol.split(",")[0].strip())
                self.end_headers()
                self.wfile.flush()
                try:
                    while self.rfile.read(1):  # until the client goes away
                        pass
                except OSError:
                    pass
                self.close_connection = True

            def _read_chunked(self) -> bytes:
                out = bytearray()
                while True:
                    size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                    if size == 0:
                        self.rfile.readline()
                        return bytes(out)
                    out += self.rfile.read(size)
                    self.rfile.readline()

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _handle

        self.lock = threading.Lock()
        self.requests: list[dict[str, Any]] = []
        self.connections = 0
        self._server = _Server(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def handle(self, record: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
        raise NotImplementedError

    def start(self) -> LocalHttpServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> Any:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def requests_to(self, pattern: str, method: str | None = None) -> list[dict[str, Any]]:
        with self.lock:
            return [r for r in self.requests if re.search(pattern, r["path"]) and (method in (None, r["method"]))]


def _json(status: int, body: Any, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    return status, {"content-type": "application/json", **(headers or {})}, json.dumps(body).encode()


class EchoWorker:
    """What the fake preview host and the fake deployed proxy answer once a request is authorised."""

    def __init__(self) -> None:
        self.gates: dict[str, threading.Event] = {}
        self.arrived: dict[str, threading.Event] = {}
        self.calls: list[dict[str, Any]] = []
        self.dropped: set[str] = set()

    def gate(self, name: str) -> threading.Event:
        self.arrived.setdefault(name, threading.Event())
        return self.gates.setdefault(name, threading.Event())

    def __call__(
        self, record: dict[str, Any], check: Callable[[], tuple[int, dict[str, str], Any] | None]
    ) -> tuple[int, dict[str, str], Any]:
        url = urlsplit(record["path"])
        query = parse_qs(url.query)
        if url.path.endswith("/slow"):
            name = query.get("gate", ["slow"])[0]
            self.gate(name)
            self.arrived[name].set()
            self.gates[name].wait(60)
            # Checked again after the wait: the upstream may have been replaced meanwhile.
            denied = check()
            if denied is not None:
                return denied
            if query.get("drop") and name not in self.dropped:  # die once, mid-request
                self.dropped.add(name)
                return 0, {}, b""
        self.calls.append(record)
        if url.path.endswith("/access-login"):  # Cloudflare Access in front of the host, no service token sent
            return 302, {"location": "https://team.cloudflareaccess.com/cdn-cgi/access/login/x"}, b""
        if url.path.endswith("/stream"):
            n = int(query.get("n", ["4"])[0])
            return 200, {"content-type": "application/octet-stream"}, (bytes([i % 256]) * 65536 for i in range(n))
        payload = {
            "method": record["method"],
            "path": url.path,
            "query": url.query,
            "length": len(record["body"]),
            "body": record["body"].decode("latin-1") if len(record["body"]) <= 1024 else None,
            "host": record["headers"].get("host"),
            "x-test": record["headers"].get("x-test"),
        }
        return _json(200, payload, {"x-echo": "1"})


class FakeDeployedProxy(LocalHttpServer):
    """A stand-in for a deployed proxy worker: checks ``X-Flarebind-Proxy-Secret`` then echoes."""

    def __init__(self, secret: str = "deployed-proxy-secret") -> None:
        super().__init__()
        self.secret = secret
        self.worker = EchoWorker()

    def handle(self, record: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
        def check() -> tuple[int, dict[str, str], Any] | None:
            if record["headers"].get("x-flarebind-proxy-secret") != self.secret:
                return 401, {"content-type": "text/plain"}, b"Unauthorized"
            return None

        return check() or self.worker(record, check)


class FakeCloudflareAPI(LocalHttpServer):
    """The Cloudflare API endpoints of the edge-preview flow plus the preview host, in one server."""

    def __init__(
        self,
        *,
        token: str = "good-token",
        account_id: str = "acc-123",
        subdomain: str | None = "devsub",
        exchange: bool = False,
        invalidate_on_upload: bool = False,
    ) -> None:
        super().__init__()
        self.token = token
        self.account_id = account_id
        self.subdomain = subdomain
        self.exchange = exchange
        self.invalidate_on_upload = invalidate_on_upload
        self.session_tokens: set[str] = set()
        self.preview_tokens: dict[str, dict[str, Any]] = {}  # token -> upload record
        self.uploads: list[dict[str, Any]] = []
        self.fail: dict[tuple[str, str], list[tuple[int, dict[str, Any]]]] = {}
        self.token_kind = "user"  # for /tokens/verify: "user" or "account"
        self.token_status = "active"
        self.taken_subdomains: set[str] = set()
        self.worker = EchoWorker()
        self._n = 0

    # -------------------------------------------------------------------------------------- test controls
    def fail_next(self, method: str, path_regex: str, status: int, code: int, message: str, times: int = 1) -> None:
        self.fail.setdefault((method, path_regex), []).extend([(status, failure(code, message))] * times)

    def expire_all(self) -> None:
        with self.lock:
            self.preview_tokens.clear()

    def _next(self) -> int:
        with self.lock:
            self._n += 1
            return self._n

    # ------------------------------------------------------------------------------------------- dispatch
    def handle(self, record: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
        if "cf-workers-preview-token" in record["headers"]:
            return self._preview(record)
        path = urlsplit(record["path"]).path
        if not path.startswith(API_PREFIX):
            return _json(404, failure(7003, "No route for the URI"))
        path = path[len(API_PREFIX) :]
        for (method, regex), queue in list(self.fail.items()):
            if method == record["method"] and re.fullmatch(regex, path) and queue:
                status, body = queue.pop(0)
                return _json(status, body)
        if re.fullmatch(r"/exchange/\d+", path):
            return _json(200, {"token": f"exchanged-{path.rsplit('/', 1)[1]}"})
        auth = record["headers"].get("authorization")
        if auth != f"Bearer {self.token}":
            return _json(403, failure(10000, "Authentication error"))
        a = self.account_id
        if path == "/user/tokens/verify":
            if self.token_kind != "user":
                return _json(401, failure(1000, "Invalid API Token"))
            return _json(200, envelope({"id": "tok-1", "status": self.token_status}))
        if path == f"/accounts/{a}/tokens/verify":
            return _json(200, envelope({"id": "tok-2", "status": self.token_status}))
        if path == f"/accounts/{a}/workers/subdomain/edge-preview" and record["method"] == "GET":
            n = self._next()
            token = f"session-{n}"
            with self.lock:
                self.session_tokens.add(token)
                if self.exchange:
                    self.session_tokens.add(f"exchanged-{n}")
            result: dict[str, Any] = {"token": token}
            if self.exchange:
                result["exchange_url"] = f"{self.url}{API_PREFIX}/exchange/{n}"
            return _json(200, envelope(result))
        if path == f"/accounts/{a}/workers/subdomain":
            if record["method"] == "GET":
                if self.subdomain is None:
                    return _json(404, failure(10007, "workers.api.error.not_found"))
                return _json(200, envelope({"subdomain": self.subdomain}))
            if record["method"] == "PUT":
                self.subdomain = json.loads(record["body"])["subdomain"]
                return _json(200, envelope({"subdomain": self.subdomain}))
        m = re.fullmatch(rf"/accounts/{a}/workers/subdomains/([^/]+)", path)
        if m and record["method"] == "GET":
            if m.group(1) in self.taken_subdomains:
                return _json(409, failure(10031, "Subdomain unavailable"))
            return _json(404, failure(10032, "Subdomain available"))
        m = re.fullmatch(rf"/accounts/{a}/workers/scripts/([a-z0-9-]+)/edge-preview", path)
        if m and record["method"] == "POST":
            return self._upload(m.group(1), record)
        return _json(404, failure(7003, "No route for the URI"))

    def _upload(self, script: str, record: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
        if record["headers"].get("cf-preview-upload-config-token") not in self.session_tokens:
            return _json(400, failure(10049, "Preview token expired"))
        parts = parse_multipart(record["headers"]["content-type"], record["body"])
        metadata = json.loads(parts["metadata"]["data"])
        session_config = json.loads(parts["wrangler-session-config"]["data"])
        # wrangler's own proxy worker (when the pinned wrangler is run against this stand-in) carries no secret
        secret = next((b["text"] for b in metadata["bindings"] if b["name"] == "FLAREBIND_PROXY_SECRET"), None)
        upload = {
            "script": script,
            "metadata": metadata,
            "session_config": session_config,
            "parts": parts,
            "secret": secret,
        }
        preview_token = f"preview-{self._next()}"
        with self.lock:
            if self.invalidate_on_upload:
                self.preview_tokens = {t: u for t, u in self.preview_tokens.items() if u["script"] != script}
            self.preview_tokens[preview_token] = upload
            self.uploads.append(upload)
        return _json(
            200,
            envelope(
                {
                    "preview_token": preview_token,
                    "tail_url": f"{self.url.replace('http', 'ws', 1)}/tail/{preview_token}",
                }
            ),
        )

    def _preview(self, record: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
        token = record["headers"]["cf-workers-preview-token"]

        def check() -> tuple[int, dict[str, str], Any] | None:
            with self.lock:
                upload = self.preview_tokens.get(token)
            if upload is None:
                return 400, {"content-type": "text/plain"}, b"Invalid Workers Preview configuration"
            host = record["headers"].get("host", "")
            if not host.startswith(f"{upload['script']}.{self.subdomain}."):
                return 404, {"content-type": "text/plain"}, b"There is nothing here yet"
            if record["headers"].get("x-flarebind-proxy-secret") != upload["secret"]:
                return 401, {"content-type": "text/plain"}, b"Unauthorized"
            return None

        return check() or self.worker(record, check)


def wait_for(predicate: Callable[[], bool], what: str, limit: float = 30.0) -> None:
    """Poll a condition set by the server thread (a safety net against hangs, not a timing assertion)."""
    end = time.monotonic() + limit
    while not predicate():
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.005)
