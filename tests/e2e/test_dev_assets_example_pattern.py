"""The assets example's pattern in a real `flarebind dev` (the example ran unchanged): `wrangler.jsonc` with
`assets = {directory = "./assets/", binding = "ASSETS"}` and a Worker whose whole `fetch` is
`return await self.env.ASSETS.fetch(request)` with the incoming `workers.Request`. Files are served before the
Worker, byte for byte; what no file matches goes through the Worker to the binding, which answers 404."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

from .devproc import DevProcess

CONFIG = """{
  "$schema": "node_modules/wrangler/config-schema.json",
  "name": "assets-worker",
  "main": "src/worker.py",
  "compatibility_date": "2025-11-02",
  "compatibility_flags": ["python_workers"],
  "assets": {"directory": "./assets/", "binding": "ASSETS"},
  "observability": {"enabled": true}
}
"""

WORKER = """
from workers import WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return await self.env.ASSETS.fetch(request)
"""


def test_assets_example_pattern(tmp_path: Path, clean_env: dict[str, str]) -> None:
    (tmp_path / "wrangler.jsonc").write_text(CONFIG)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "worker.py").write_text(textwrap.dedent(WORKER))
    assets = tmp_path / "assets"
    assets.mkdir()
    (assets / "index.html").write_text('<link rel="stylesheet" href="style.css"><img src="painting.jpg">')
    (assets / "style.css").write_text("img{width:50%}")
    painting = b"\xff\xd8\xff\xe0" + os.urandom(200_000) + b"\xff\xd9"  # JPEG markers around random bytes
    (assets / "painting.jpg").write_bytes(painting)
    (assets / "favicon.ico").write_bytes(b"\x00\x00\x01\x00")
    dev = DevProcess(tmp_path, env=clean_env)
    try:
        dev.wait_for_output("Ready on")
        home = dev.get("/")
        assert home.status_code == 200 and home.text.startswith("<link")
        jpg = dev.get("/painting.jpg")
        assert (jpg.status_code, jpg.headers["content-type"], jpg.content) == (200, "image/jpeg", painting)
        assert jpg.headers["content-length"] == str(len(painting))
        head = dev.client.head("/style.css")
        assert (head.status_code, head.content, head.headers["content-length"]) == (200, b"", "14")
        assert dev.get("/favicon.ico").headers["content-type"] == "image/vnd.microsoft.icon"
        # no file: the Worker runs and hands its own Request to the binding
        missing = dev.get("/nope")
        assert (missing.status_code, missing.content) == (404, b"")
        dev.wait_for_output("GET /nope 404 Not Found (")  # logged as a Worker request, not "(asset)"
    finally:
        assert dev.stop() == 0, dev.output
