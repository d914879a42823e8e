"""`flarebind dev --replay FILE`: remote bindings answered from a cassette, with no credentials and no network."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from .devproc import DevProcess

CONFIG = """\
name = "replayed"
main = "src/entry.py"
compatibility_date = "2025-09-01"

[[kv_namespaces]]
binding = "FB_KV_0"
id = "kv-id"
remote = true
"""
WORKER = """\
from workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return Response(str(await self.env.FB_KV_0.get("greeting")))
"""


def test_dev_replays_remote_calls_without_credentials(tmp_path: Path, clean_env: dict[str, str]) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "entry.py").write_text(textwrap.dedent(WORKER))
    (tmp_path / "wrangler.toml").write_text(CONFIG)
    interaction = {
        "request": {"binding": "FB_KV_0", "calls": [{"call": "get", "args": ["greeting"]}], "body": None},
        "response": {
            "status": 200,
            "content_type": "application/json",
            "envelope": {"result": "from the cassette"},
            "body": None,
        },
    }
    (tmp_path / "calls.json").write_text(json.dumps({"version": 1, "interactions": [interaction]}))
    env = {k: v for k, v in clean_env.items() if not k.startswith(("CLOUDFLARE_", "FLAREBIND_"))}
    dev = DevProcess(tmp_path, "--replay", "calls.json", env=env)
    try:
        dev.wait_for_output("Ready on")
        assert dev.get("/").text == "from the cassette"
        second = dev.get("/")  # the one recorded call was used: the next is a clear mismatch, not a network call
        assert second.status_code == 500
        assert 'FB_KV_0.get("greeting"), matches no recorded call' in dev.output + second.text
    finally:
        assert dev.stop() == 0, dev.output
