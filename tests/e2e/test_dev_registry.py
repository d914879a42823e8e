"""The dev registry between separate `flarebind dev` processes: a service binding reaches a Worker running in another
process (fetch and RPC, named entrypoint with props), wrangler's text when the target is not running, and the entry
disappears when its process stops."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from .devproc import DevProcess
from .test_dev_services import BACKEND, BACKEND_CONFIG

CALLER = """
import json
from urllib.parse import urlparse

from workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        path = urlparse(request.url).path
        if path == "/rpc":
            html = await self.env.BACKEND.highlight("x = 1", "python")
            info = await self.env.BACKEND.describe({"n": 5}, b"abc")
            named = await self.env.ADMIN.whoami()
            return Response(json.dumps([html, info, named]))
        if path == "/fetch":
            r = await self.env.BACKEND.fetch("http://backend/path?q=1", method="POST", body="data")
            return Response(f"{r.status} {await r.text()}")
        if path == "/error":
            try:
                await self.env.BACKEND.fail()
            except Exception as exc:
                return Response(f"{type(exc).__name__}: {exc}")
        return Response("caller")
"""

CALLER_CONFIG = """
name = "caller"
main = "src/entry.py"
compatibility_date = "2026-05-01"
compatibility_flags = ["python_workers"]

[[services]]
binding = "BACKEND"
service = "backend"

[[services]]
binding = "ADMIN"
service = "backend"
entrypoint = "Admin"
props = { user = "grace" }
"""


def _project(root: Path, config: str, code: str) -> Path:
    (root / "src").mkdir(parents=True)
    (root / "src" / "entry.py").write_text(textwrap.dedent(code))
    (root / "src" / "utils.py").write_text("WHO = 'backend utils'\n")
    (root / "wrangler.toml").write_text(config)
    return root


def test_service_binding_to_another_flarebind_dev_process(tmp_path: Path, clean_env: dict[str, str]) -> None:
    env = {**clean_env, "FLAREBIND_REGISTRY_PATH": str(tmp_path / "registry")}
    caller = DevProcess(_project(tmp_path / "caller", CALLER_CONFIG, CALLER), env=env)
    try:
        caller.wait_for_output("Ready on http://127.0.0.1:")
        missing = caller.get("/fetch")
        assert missing.text == '503 Worker "backend" not found. Make sure it is running locally.'

        backend = DevProcess(_project(tmp_path / "backend", BACKEND_CONFIG, BACKEND), env=env)
        try:
            backend.wait_for_output("Ready on http://127.0.0.1:")
            entry = json.loads((tmp_path / "registry" / "backend").read_text())
            assert (entry["host"], entry["port"]) == ("127.0.0.1", backend.port)

            html, info, named = json.loads(caller.get("/rpc").text)
            assert html == "<pre class='python'>x = 1</pre>"
            assert info == {"type": "JsObject", "n": 5, "data": "memoryview", "size": 3}
            assert named == "admin for grace (backend-role)"
            fetched = caller.get("/fetch").text
            assert fetched == "200 backend POST http://backend/path?q=1 data backend utils", backend.output
            assert caller.get("/error").text == "ValueError: backend failed"
        finally:
            assert backend.stop() == 0, backend.output
        assert not (tmp_path / "registry" / "backend").exists()  # withdrawn on exit
        assert caller.get("/fetch").text == '503 Worker "backend" not found. Make sure it is running locally.'
    finally:
        assert caller.stop() == 0, caller.output
