"""permessage-deflate in a real `flarebind dev`: negotiated as workerd does (on from compatibility date 2023-08-15,
the `web_socket_compression` flag; refused with `no_web_socket_compression` or an earlier date)."""

from __future__ import annotations

from pathlib import Path

import pytest
from websockets.sync.client import connect

from .devproc import DevProcess

ECHO = """
from js import WebSocketPair
from workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        client, server = WebSocketPair.new().object_values()
        server.accept()
        server.addEventListener("message", lambda event: server.send(event.data))
        return Response(None, status=101, web_socket=client)
"""


@pytest.mark.parametrize(
    ("date", "flags", "negotiated"),
    [
        ("2026-05-01", [], "permessage-deflate"),
        ("2026-05-01", ["no_web_socket_compression"], None),
        ("2023-08-14", [], None),
        ("2023-08-14", ["web_socket_compression"], "permessage-deflate"),
    ],
)
def test_compression_follows_the_compatibility_date_and_flags(
    tmp_path: Path, clean_env: dict[str, str], date: str, flags: list[str], negotiated: str | None
) -> None:
    (tmp_path / "entry.py").write_text(ECHO)
    all_flags = ", ".join(f'"{flag}"' for flag in ["python_workers", *flags])
    (tmp_path / "wrangler.toml").write_text(
        f'name = "echo"\nmain = "entry.py"\ncompatibility_date = "{date}"\ncompatibility_flags = [{all_flags}]\n'
    )
    proc = DevProcess(tmp_path, env=clean_env)
    try:
        proc.wait_for_output("Ready on http://127.0.0.1:")
        # the client offers permessage-deflate by default
        with connect(f"ws://127.0.0.1:{proc.port}/") as ws:
            header = ws.response.headers.get("Sec-WebSocket-Extensions")
            ws.send("hello")
            assert ws.recv(timeout=10) == "hello"
        assert (header.split(";")[0] if header else None) == negotiated
    finally:
        assert proc.stop() == 0, proc.output
