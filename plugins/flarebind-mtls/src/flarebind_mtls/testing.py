"""Test helpers: certificates made on the spot (trustme) and a real HTTPS server on 127.0.0.1 that requires a client
certificate, answering like flarebind's proxy test target (``{method, path, body, header}``) so one conformance
suite runs against both paths.

Not imported by the binding; ``trustme`` is a test dependency.
"""

from __future__ import annotations

import json
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import attrs


@attrs.define
class Pems:
    """PEM files written for one test: a CA, a server certificate for 127.0.0.1, and client certificates."""

    ca: Path
    server_cert: Path
    client_cert: Path
    client_key: Path
    other_cert: Path  # from another CA: a server trusting only `ca` refuses it
    other_key: Path
    ca_object: Any


def make_pems(folder: Path) -> Pems:
    import trustme

    folder.mkdir(parents=True, exist_ok=True)
    ca = trustme.CA(organization_name="flarebind test CA")
    server = ca.issue_cert("127.0.0.1", "localhost")
    client = ca.issue_cert("client.flarebind.test", common_name="client.flarebind.test")
    other = trustme.CA(organization_name="some other CA").issue_cert("intruder.flarebind.test")
    out = Pems(
        ca=folder / "ca.pem",
        server_cert=folder / "server.pem",
        client_cert=folder / "client-cert.pem",
        client_key=folder / "client-key.pem",
        other_cert=folder / "other-cert.pem",
        other_key=folder / "other-key.pem",
        ca_object=ca,
    )
    ca.cert_pem.write_to_path(str(out.ca))
    server.private_key_and_cert_chain_pem.write_to_path(str(out.server_cert))
    client.cert_chain_pems[0].write_to_path(str(out.client_cert))
    for blob in client.cert_chain_pems[1:]:
        blob.write_to_path(str(out.client_cert), append=True)
    client.private_key_pem.write_to_path(str(out.client_key))
    other.cert_chain_pems[0].write_to_path(str(out.other_cert))
    other.private_key_pem.write_to_path(str(out.other_key))
    return out


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet test output
        pass

    def _body(self) -> bytes:
        if self.headers.get("transfer-encoding", "").lower() == "chunked":
            data = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    self.rfile.readline()
                    return data
                data += self.rfile.read(size)
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("content-length") or 0))

    def _reply(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _handle(self) -> None:
        body = self._body()
        path = self.path.split("?")[0]
        if path.startswith("/redirect/"):
            hops = int(path.rsplit("/", 1)[1])
            target = "/echo" if hops <= 1 else f"/redirect/{hops - 1}"
            self._reply(302, b"", {"location": target})
            return
        if path.startswith("/big/"):
            size = int(path.rsplit("/", 1)[1])
            self.send_response(200)
            self.send_header("transfer-encoding", "chunked")
            self.end_headers()
            chunk = b"x" * 65536
            left = size
            while left:
                part = chunk[: min(left, len(chunk))]
                self.wfile.write(f"{len(part):x}\r\n".encode() + part + b"\r\n")
                left -= len(part)
            self.wfile.write(b"0\r\n\r\n")
            return
        peer = self.connection.getpeercert() if isinstance(self.connection, ssl.SSLSocket) else None
        subject = dict(x[0] for x in peer["subject"]) if peer else {}
        payload = {
            "method": self.command,
            "path": path,
            "body": body.decode("utf-8", "replace"),
            "header": self.headers.get("x-test"),
            "client": subject.get("commonName"),
        }
        self._reply(
            418 if path == "/teapot" else 200, json.dumps(payload).encode(), {"content-type": "application/json"}
        )

    do_GET = do_POST = do_PUT = do_DELETE = _handle


@contextmanager
def mtls_server(pems: Pems, *, require_client_cert: bool = True) -> Iterator[str]:
    """An HTTPS server on 127.0.0.1 (certificate from ``pems.ca``) that requires a client certificate signed by
    ``pems.ca``; yields its base URL."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(pems.server_cert)
    ctx.load_verify_locations(pems.ca)
    ctx.verify_mode = ssl.CERT_REQUIRED if require_client_cert else ssl.CERT_NONE
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
