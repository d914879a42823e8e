"""A real HTTP server on 127.0.0.1 standing in for an OpenAI-compatible model server (Ollama, llama.cpp, vLLM).

It answers ``/v1/chat/completions`` (plain and streamed) and ``/v1/embeddings`` deterministically, records every
request, and can be told to fail (``fail_with``) or to stall before answering (``delay``), so the provider's error
paths run against real sockets.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TOKENS = ["Hello", " from", " the", " local", " model"]


def embedding(text: str, dims: int = 8) -> list[float]:
    digest = hashlib.sha256(text.encode()).digest()
    return [round(b / 255, 6) for b in digest[:dims]]


class OpenAIStandIn:
    def __init__(self, models: tuple[str, ...] = ("llama3.1:8b", "bge-small-en-v1.5", "mine")) -> None:
        self.models = set(models)
        self.requests: list[dict[str, Any]] = []
        self.fail_with: tuple[int, Any] | None = None
        self.delay = 0.0
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go as separate writes: no 40 ms delayed-ACK stalls

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("content-length") or 0)) or b"{}")
                owner.requests.append({"path": self.path, "body": body})
                if owner.delay:
                    time.sleep(owner.delay)
                if owner.fail_with is not None:
                    status, payload = owner.fail_with
                    return self._json(status, payload)
                if body.get("model") not in owner.models:
                    return self._json(404, {"error": {"message": f"model '{body.get('model')}' not found"}})
                if self.path == "/v1/embeddings":
                    data = [{"index": i, "embedding": embedding(t)} for i, t in enumerate(body["input"])]
                    return self._json(200, {"data": data, "model": body["model"]})
                if self.path == "/v1/chat/completions":
                    return self._stream(body) if body.get("stream") else self._complete(body)
                return self._json(404, {"error": {"message": "no such route"}})

            def _complete(self, body: dict[str, Any]) -> None:
                usage = {"prompt_tokens": 7, "completion_tokens": len(TOKENS), "total_tokens": 7 + len(TOKENS)}
                message: dict[str, Any] = {"role": "assistant", "content": "".join(TOKENS)}
                if body.get("tools"):
                    message = {
                        "role": "assistant",
                        "content": "",
                        "tool_calls": [{"function": {"name": "weather", "arguments": '{"city": "Lisbon"}'}}],
                    }
                self._json(200, {"choices": [{"index": 0, "message": message}], "usage": usage})

            def _stream(self, body: dict[str, Any]) -> None:
                self.send_response(200)
                self.send_header("content-type", "text/event-stream")
                self.send_header("transfer-encoding", "chunked")
                self.end_headers()
                for token in TOKENS:
                    self._chunk({"choices": [{"index": 0, "delta": {"content": token}}]})
                if (body.get("stream_options") or {}).get("include_usage"):
                    self._chunk(
                        {"choices": [], "usage": {"prompt_tokens": 7, "completion_tokens": 5, "total_tokens": 12}}
                    )
                self._raw(b"data: [DONE]\n\n")
                self.wfile.write(b"0\r\n\r\n")

            def _chunk(self, payload: Any) -> None:
                self._raw(f"data: {json.dumps(payload)}\n\n".encode())

            def _raw(self, data: bytes) -> None:
                self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                self.wfile.flush()

            def _json(self, status: int, payload: Any) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> OpenAIStandIn:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
