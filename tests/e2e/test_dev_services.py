"""Several Workers in one real `flarebind dev -c a/wrangler.toml -c b/wrangler.toml`: the first is served over HTTP,
service bindings reach the other (fetch, RPC to the default and a named `WorkerEntrypoint`, `props`), each Worker has
its own bindings and state and its own modules (both have a `utils.py`), and a missing target gives wrangler's text.
The backend follows js-api-pygments' Python side: an entrypoint whose method another Worker calls over RPC."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from .devproc import DevProcess

FRONTEND = """
import json
from urllib.parse import urlparse

from workers import Response, WorkerEntrypoint

import utils


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        path = urlparse(request.url).path
        if path == "/rpc":
            html = await self.env.BACKEND.highlight("print(1)", "python")
            info = await self.env.BACKEND.describe({"n": 2, "tags": ["a"]}, b"\\x01\\x02")
            return Response(json.dumps({"html": html, "info": info}))
        if path == "/fetch":
            r = await self.env.BACKEND.fetch("http://backend/hello?x=1", method="POST", body="payload")
            return Response(f"{r.status} {await r.text()}")
        if path == "/forward":
            return await self.env.BACKEND.fetch(request)  # the incoming request, streamed body and all
        if path == "/named":
            return Response(await self.env.ADMIN.whoami())
        if path == "/named-fetch":
            r = await self.env.ADMIN.fetch("http://backend/")
            return Response(await r.text())
        if path == "/state":
            await self.env.KV.put("k", "frontend")
            await self.env.BACKEND.store("backend")
            return Response(f"{await self.env.KV.get('k')} {await self.env.BACKEND.load()}")
        if path == "/errors":
            out = []
            for call in (
                lambda: self.env.BACKEND.fail(),
                lambda: self.env.BACKEND._private(),
                lambda: self.env.BACKEND.nope(),
                lambda: self.env.BACKEND.alarm(),
                lambda: self.env.MISSING.anything(),
                lambda: self.env.BACKEND.echo((1, 2)),
            ):
                try:
                    await call()
                    out.append("no error")
                except Exception as exc:
                    out.append(f"{type(exc).__name__}: {exc}")
            return Response(json.dumps(out))
        if path == "/missing-fetch":
            r = await self.env.MISSING.fetch("http://missing/")
            return Response(f"{r.status} {await r.text()}")
        if path == "/callback":
            return Response(str(await self.env.BACKEND.apply(lambda x: x * 10, 4)))
        return Response(utils.WHO)
"""

BACKEND = """
import datetime

from workers import Response, WorkerEntrypoint

import utils


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        body = await request.text()
        return Response(f"backend {request.method} {request.url} {body} {utils.WHO}")

    async def highlight(self, code, language):
        return f"<pre class='{language}'>{code}</pre>"

    def describe(self, obj, data):
        return {"type": type(obj).__name__, "n": obj.n, "data": type(data).__name__, "size": len(data)}

    async def store(self, value):
        await self.env.KV.put("k", value)

    async def load(self):
        return await self.env.KV.get("k")

    async def fail(self):
        raise ValueError("backend failed")

    def _private(self):
        return "secret"

    def alarm(self):
        return "reserved"

    def echo(self, value):
        return value

    async def apply(self, fn, value):
        return await fn(value)


class Admin(WorkerEntrypoint):
    def whoami(self):
        return f"admin for {self.ctx.props.user} ({self.env.ROLE})"

    async def fetch(self, request):
        return Response(f"admin fetch, props user={self.ctx.props.user}")
"""

FRONTEND_CONFIG = """
name = "frontend"
main = "src/entry.py"
compatibility_date = "2026-05-01"
compatibility_flags = ["python_workers"]

[[kv_namespaces]]
binding = "KV"
id = "shared-id"

[[services]]
binding = "BACKEND"
service = "backend"

[[services]]
binding = "ADMIN"
service = "backend"
entrypoint = "Admin"
props = { user = "ada" }

[[services]]
binding = "MISSING"
service = "not-running"
"""

BACKEND_CONFIG = """
name = "backend"
main = "src/entry.py"
compatibility_date = "2026-05-01"
compatibility_flags = ["python_workers"]

[vars]
ROLE = "backend-role"

[[kv_namespaces]]
binding = "KV"
id = "shared-id"
"""


def _worker(root: Path, config: str, code: str, who: str) -> Path:
    (root / "src").mkdir(parents=True)
    (root / "src" / "entry.py").write_text(textwrap.dedent(code))
    (root / "src" / "utils.py").write_text(f"WHO = {who!r}\n")
    (root / "wrangler.toml").write_text(config)
    return root / "wrangler.toml"


@pytest.fixture(scope="module")
def dev(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevProcess]:
    import os

    root = tmp_path_factory.mktemp("services")
    a = _worker(root / "a", FRONTEND_CONFIG, FRONTEND, "frontend utils")
    b = _worker(root / "b", BACKEND_CONFIG, BACKEND, "backend utils")
    env = {k: v for k, v in os.environ.items() if k not in ("CLOUDFLARE_ENV", "FLAREBIND_LOAD_PLUGINS")}
    proc = DevProcess(root, "-c", str(a), "-c", str(b), env=env)
    try:
        proc.wait_for_output("Ready on http://127.0.0.1:")
        yield proc
    finally:
        code = proc.stop()
        assert code == 0, proc.output


def test_primary_is_served_with_its_own_modules(dev: DevProcess) -> None:
    assert dev.get("/").text == "frontend utils"
    assert "Worker frontend:" in dev.output and "Worker backend:" in dev.output


def test_rpc_to_the_default_entrypoint(dev: DevProcess) -> None:
    body = json.loads(dev.get("/rpc").text)
    assert body["html"] == "<pre class='python'>print(1)</pre>"
    # a dict arrives as an attribute dict, bytes as memoryview
    assert body["info"] == {"type": "JsObject", "n": 2, "data": "memoryview", "size": 2}


def test_fetch_through_a_service_binding(dev: DevProcess) -> None:
    assert dev.get("/fetch").text == "200 backend POST http://backend/hello?x=1 payload backend utils"


def test_forwarding_the_incoming_request(dev: DevProcess) -> None:
    r = dev.client.post("/forward?a=1", content=b"streamed body")
    assert r.text == f"backend POST http://127.0.0.1:{dev.port}/forward?a=1 streamed body backend utils"


def test_named_entrypoint_with_props(dev: DevProcess) -> None:
    assert dev.get("/named").text == "admin for ada (backend-role)"
    assert dev.get("/named-fetch").text == "admin fetch, props user=ada"


def test_each_worker_has_its_own_state(dev: DevProcess) -> None:
    # same KV id in both configs, but each Worker's state folder is its own
    assert dev.get("/state").text == "frontend backend"


def test_rpc_errors(dev: DevProcess) -> None:
    out = json.loads(dev.get("/errors").text)
    assert out == [
        "ValueError: backend failed",
        'TypeError: The RPC receiver does not implement the method "_private".',
        'TypeError: The RPC receiver does not implement the method "nope".',
        "TypeError: 'alarm' is a reserved method and cannot be called over RPC.",
        'Exception: Worker "not-running" not found. Make sure it is running locally.',
        "TypeError: Cannot send a tuple over RPC: use a list",
    ]


def test_missing_target_fetch_is_503_with_wranglers_text(dev: DevProcess) -> None:
    assert dev.get("/missing-fetch").text == '503 Worker "not-running" not found. Make sure it is running locally.'


def test_functions_cross_as_callable_stubs(dev: DevProcess) -> None:
    assert dev.get("/callback").text == "40"


def test_editing_the_second_worker_reloads_it(tmp_path: Path, clean_env: dict[str, str]) -> None:
    a = _worker(tmp_path / "a", FRONTEND_CONFIG, FRONTEND, "frontend utils")
    b = _worker(tmp_path / "b", BACKEND_CONFIG, BACKEND, "backend utils")
    proc = DevProcess(tmp_path, "-c", str(a), "-c", str(b), env=clean_env)
    try:
        proc.wait_for_output("Ready on http://127.0.0.1:")
        assert proc.get("/rpc").status_code == 200
        entry = tmp_path / "b" / "src" / "entry.py"
        entry.write_text(entry.read_text().replace("<pre class=", "<code class=").replace("</pre>", "</code>"))
        proc.wait_for_output("Reloaded entry.py")
        assert json.loads(proc.get("/rpc").text)["html"] == "<code class='python'>print(1)</code>"
        assert proc.get("/").text == "frontend utils"
    finally:
        assert proc.stop() == 0, proc.output
