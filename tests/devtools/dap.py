"""A minimal Debug Adapter Protocol client over a TCP socket: enough to attach, set breakpoints and see a stop."""

from __future__ import annotations

import json
import socket
import time
from typing import Any


class DapClient:
    def __init__(self, host: str, port: int, *, attempts: int = 200) -> None:
        last: OSError | None = None
        for _ in range(attempts):  # the adapter may still be starting: retry the connection a bounded number of times
            try:
                self.sock = socket.create_connection((host, port), timeout=60)
                break
            except OSError as exc:
                last = exc
                time.sleep(0.05)
        else:
            raise AssertionError(f"could not connect to the debug adapter at {host}:{port}: {last}")
        self.buffer = b""
        self.seq = 0
        self.events: list[dict[str, Any]] = []
        self.responses: dict[int, dict[str, Any]] = {}

    def send(self, command: str, **arguments: Any) -> int:
        self.seq += 1
        body = json.dumps({"seq": self.seq, "type": "request", "command": command, "arguments": arguments}).encode()
        self.sock.sendall(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        return self.seq

    def _read_message(self) -> dict[str, Any]:
        while b"\r\n\r\n" not in self.buffer:
            self._fill()
        header, _, rest = self.buffer.partition(b"\r\n\r\n")
        length = int(next(h for h in header.split(b"\r\n") if h.lower().startswith(b"content-length")).split(b":")[1])
        while len(rest) < length:
            self.buffer = header + b"\r\n\r\n" + rest
            self._fill()
            header, _, rest = self.buffer.partition(b"\r\n\r\n")
        self.buffer = rest[length:]
        return json.loads(rest[:length])

    def _fill(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise AssertionError("the debug adapter closed the connection")
        self.buffer += chunk

    def _pump(self) -> None:
        message = self._read_message()
        if message["type"] == "event":
            self.events.append(message)
        elif message["type"] == "response":
            self.responses[message["request_seq"]] = message

    def response(self, seq: int) -> dict[str, Any]:
        while seq not in self.responses:
            self._pump()
        return self.responses.pop(seq)

    def event(self, name: str) -> dict[str, Any]:
        while True:
            for index, event in enumerate(self.events):
                if event["event"] == name:
                    return self.events.pop(index)
            self._pump()

    def request(self, command: str, **arguments: Any) -> dict[str, Any]:
        response = self.response(self.send(command, **arguments))
        assert response["success"], response
        return response

    def close(self) -> None:
        self.sock.close()
