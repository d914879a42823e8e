"""Durable Object bindings with `script_name` (the class lives in another Worker), with real `flarebind dev`
processes: in one process (`-c app -c counters`) the caller reaches the owner's very instance (one per id, shared
with the owner's own binding) and its storage sits in the *owner's* state folder; across two processes the call goes
through the dev registry; a target that is not running gives wrangler's text (503 for fetch, an Error for RPC)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from .devproc import DevProcess

APP = """
import json
from urllib.parse import urlparse

from workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        path = urlparse(request.url).path
        stub = self.env.COUNTER.getByName("x")
        if path == "/rpc":
            return Response(json.dumps(await stub.increment()))
        if path == "/fetch":
            r = await stub.fetch("http://do/hello", method="POST", body="hi")
            return Response(f"{r.status} {await r.text()}")
        if path == "/chain":
            return Response(str(await stub.box(5).double()))
        if path == "/error":
            try:
                await stub.fail()
            except Exception as exc:
                return Response(f"{type(exc).__name__}: {exc}")
        if path == "/id":
            return Response(self.env.COUNTER.idFromName("x").toString())
        if path == "/owner":
            r = await self.env.OWNER.fetch("http://counters/own")
            return Response(await r.text())
        return Response("app")
"""

APP_CONFIG = """
name = "app"
main = "src/entry.py"
compatibility_date = "2026-05-01"
compatibility_flags = ["python_workers"]

[[durable_objects.bindings]]
name = "COUNTER"
class_name = "Counter"
script_name = "counters"

[[services]]
binding = "OWNER"
service = "counters"
"""

COUNTERS = """
import json

from workers import DurableObject, Response, WorkerEntrypoint


class Box:
    def __init__(self, n):
        self.n = n

    def double(self):
        return self.n * 2


class Counter(DurableObject):
    def __init__(self, ctx, env):
        super().__init__(ctx, env)
        self.hits = 0  # lives as long as the one instance does

    async def increment(self):
        self.hits += 1
        n = (self.ctx.storage.kv.get("n") or 0) + 1
        self.ctx.storage.kv.put("n", n)
        return [n, self.hits]

    def box(self, n):
        return Box(n)

    async def fail(self):
        raise ValueError("counter failed")

    async def fetch(self, request):
        return Response(f"counter {request.method} {request.url} {await request.text()}")


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        if request.url.endswith("/own"):
            stub = self.env.COUNTER.getByName("x")
            return Response(json.dumps([stub.id.toString(), await stub.increment()]))
        return Response("counters")
"""

COUNTERS_CONFIG = """
name = "counters"
main = "src/entry.py"
compatibility_date = "2026-05-01"
compatibility_flags = ["python_workers"]

[[durable_objects.bindings]]
name = "COUNTER"
class_name = "Counter"

[[migrations]]
tag = "v1"
new_sqlite_classes = ["Counter"]
"""


def _project(root: Path, config: str, code: str) -> Path:
    (root / "src").mkdir(parents=True)
    (root / "src" / "entry.py").write_text(textwrap.dedent(code))
    (root / "wrangler.toml").write_text(config)
    return root / "wrangler.toml"


def _check_calls(dev: DevProcess) -> None:
    assert json.loads(dev.get("/rpc").text) == [1, 1]
    assert json.loads(dev.get("/rpc").text) == [2, 2]  # the same instance again
    assert dev.get("/fetch").text == "200 counter POST http://do/hello hi"
    assert dev.get("/chain").text == "10"  # a pipelined chain goes as one call
    assert dev.get("/error").text == "ValueError: counter failed"


def test_script_name_in_one_process(tmp_path: Path, clean_env: dict[str, str]) -> None:
    app = _project(tmp_path / "app", APP_CONFIG, APP)
    counters = _project(tmp_path / "counters", COUNTERS_CONFIG, COUNTERS)
    env = {**clean_env, "WRANGLER_REGISTRY_PATH": str(tmp_path / "wrangler-registry")}  # no wrangler dev session
    dev = DevProcess(tmp_path, "-c", str(app), "-c", str(counters), env=env)
    try:
        dev.wait_for_output("Ready on http://127.0.0.1:")
        _check_calls(dev)
        # the owner's own binding reaches the same object (same id, same instance, same storage)
        own_id, counts = json.loads(dev.get("/owner").text)
        assert counts == [3, 3]
        assert dev.get("/id").text == own_id
    finally:
        assert dev.stop() == 0, dev.output
    owner_folder = tmp_path / "counters" / ".wrangler" / "state" / "v3" / "do" / "counters-Counter"
    assert any(p.suffix == ".sqlite" for p in owner_folder.iterdir()), list(owner_folder.iterdir())
    assert not (tmp_path / "app" / ".wrangler" / "state" / "v3" / "do").exists()


def test_script_name_through_the_dev_registry(tmp_path: Path, clean_env: dict[str, str]) -> None:
    env = {
        **clean_env,
        "FLAREBIND_REGISTRY_PATH": str(tmp_path / "registry"),
        "WRANGLER_REGISTRY_PATH": str(tmp_path / "wrangler-registry"),  # no wrangler dev session answers for it
    }
    app = DevProcess(tmp_path, "-c", str(_project(tmp_path / "app", APP_CONFIG, APP)), env=env)
    try:
        app.wait_for_output("Ready on http://127.0.0.1:")
        not_found = 'Worker "counters" not found. Make sure it is running locally.'
        assert app.get("/fetch").text == f"503 {not_found}"
        assert app.get("/error").text == f"Exception: {not_found}"

        counters_config = _project(tmp_path / "counters", COUNTERS_CONFIG, COUNTERS)
        owner = DevProcess(tmp_path / "counters", "-c", str(counters_config), env=env)
        try:
            owner.wait_for_output("Ready on http://127.0.0.1:")
            _check_calls(app)
            own_id, counts = json.loads(owner.get("/own").text)
            assert counts == [3, 3]  # the owner process served every call: one instance
            assert app.get("/id").text == own_id
        finally:
            assert owner.stop() == 0, owner.output
        folder = tmp_path / "counters" / ".wrangler" / "state" / "v3" / "do" / "counters-Counter"
        assert any(p.suffix == ".sqlite" for p in folder.iterdir())
        assert app.get("/error").text == f"Exception: {not_found}"  # gone again once the owner stops
    finally:
        assert app.stop() == 0, app.output
