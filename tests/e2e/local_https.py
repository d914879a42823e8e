"""A local stand-in for a public HTTPS site: a TLS origin on 127.0.0.1 with a certificate for the site's name (from
a trustme CA), reached through a CONNECT proxy on 127.0.0.1. A `flarebind dev` started with ``HTTPS_PROXY`` pointing
at the proxy and ``SSL_CERT_FILE`` at the CA fetches ``https://<name>/…`` from the origin, with the Worker unchanged
(flarebind's outbound fetch honours both variables, as httpx does)."""

from __future__ import annotations

import select
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


@dataclass
class LocalSite:
    env: dict[str, str]  # for the dev process: HTTPS_PROXY, SSL_CERT_FILE, NO_PROXY
    requested: list[str]  # the paths the origin was asked for


@contextmanager
def local_https_site(name: str, body: bytes, folder: Path) -> Iterator[LocalSite]:
    """Serve ``body`` as ``https://{name}/<any path>``."""
    import trustme

    ca = trustme.CA()
    cert = ca.issue_cert(name)
    ca_file = folder / "local-https-ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    requested: list[str] = []

    class Origin(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            requested.append(self.path)
            self.send_response(200)
            self.send_header("content-type", "text/html; charset=UTF-8")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    origin = ThreadingHTTPServer(("127.0.0.1", 0), Origin)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    cert.configure_cert(context)
    origin.socket = context.wrap_socket(origin.socket, server_side=True)
    origin_port = origin.server_address[1]

    class Proxy(BaseHTTPRequestHandler):
        def do_CONNECT(self) -> None:
            # every tunnel goes to the local origin, whatever host it names
            upstream = socket.create_connection(("127.0.0.1", origin_port))
            self.send_response(200, "Connection Established")
            self.end_headers()
            ends = [self.connection, upstream]
            try:
                while True:
                    ready, _, _ = select.select(ends, [], [], 30)
                    if not ready:
                        return
                    for end in ready:
                        data = end.recv(65536)
                        if not data:
                            return
                        (upstream if end is self.connection else self.connection).sendall(data)
            finally:
                upstream.close()

        def log_message(self, *args: object) -> None:
            pass

    proxy = ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in (origin, proxy)]
    for thread in threads:
        thread.start()
    try:
        env = {
            "HTTPS_PROXY": f"http://127.0.0.1:{proxy.server_address[1]}",
            "SSL_CERT_FILE": str(ca_file),
            "NO_PROXY": "127.0.0.1,localhost",
        }
        yield LocalSite(env, requested)
    finally:
        for server in (origin, proxy):
            server.shutdown()
            server.server_close()
