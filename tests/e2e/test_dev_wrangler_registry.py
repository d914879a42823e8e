"""`flarebind dev` next to a real `wrangler dev` sharing wrangler's dev registry folder (`WRANGLER_REGISTRY_PATH`).

wrangler 4.86 registers each Worker as `{debugPortAddress, defaultEntrypointService, userWorkerService}`: callers reach
it through workerd's Cap'n Proto debug port, which flarebind does not speak. So a flarebind service binding (or
Durable Object `script_name` binding) to a Worker that `wrangler dev` runs cannot be called; it must say so, naming
the registry entry, instead of claiming the Worker is not running."""

from __future__ import annotations

import json
import textwrap
import time
from pathlib import Path

import pytest
from flarebind.testing.remote_proxy import free_port
from flarebind.testing.wrangler import wrangler_dev

from .devproc import DevProcess

pytestmark = pytest.mark.wrangler

JS_WORKER = """
export default {
  async fetch(request) {
    return new Response("hello from wrangler dev");
  }
};
"""

CALLER = """
from workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        r = await self.env.JS.fetch("http://js/")
        out = [f"{r.status} {await r.text()}"]
        for call in (lambda: self.env.JS.greet(), lambda: self.env.OBJ.getByName("a").ping()):
            try:
                await call()
            except Exception as exc:
                out.append(f"{type(exc).__name__}: {exc}")
        return Response("\\n".join(out))
"""

CALLER_CONFIG = """
name = "caller"
main = "src/entry.py"
compatibility_date = "2026-05-01"
compatibility_flags = ["python_workers"]

[[services]]
binding = "JS"
service = "jsworker"

[[durable_objects.bindings]]
name = "OBJ"
class_name = "Thing"
script_name = "jsworker"
"""


def test_a_worker_run_by_wrangler_dev_is_named_as_unreachable(
    tmp_path: Path, clean_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    registry = tmp_path / "wrangler-registry"
    monkeypatch.setenv("WRANGLER_REGISTRY_PATH", str(registry))  # wrangler_dev's environment starts from os.environ
    js = tmp_path / "js"
    js.mkdir()
    (js / "index.js").write_text(JS_WORKER)
    (js / "wrangler.toml").write_text('name = "jsworker"\nmain = "index.js"\ncompatibility_date = "2026-05-01"\n')
    caller = tmp_path / "caller"
    (caller / "src").mkdir(parents=True)
    (caller / "src" / "entry.py").write_text(textwrap.dedent(CALLER))
    (caller / "wrangler.toml").write_text(CALLER_CONFIG)

    with wrangler_dev(js, free_port(), js / "state") as wrangler:
        for _ in range(900):  # wait for wrangler's registry entry (polling, not a timing assertion)
            if (registry / "jsworker").is_file() or wrangler.poll() is not None:
                break
            time.sleep(0.2)
        assert (registry / "jsworker").is_file(), wrangler.stdout.read().decode() if wrangler.stdout else ""
        entry = json.loads((registry / "jsworker").read_text())
        # the current format: a debug-port address and workerd service names, no HTTP address to call
        assert entry["debugPortAddress"].startswith("127.0.0.1:")
        assert {"defaultEntrypointService", "userWorkerService"} <= set(entry)

        env = {**clean_env, "WRANGLER_REGISTRY_PATH": str(registry), "FLAREBIND_REGISTRY_PATH": str(tmp_path / "fb")}
        dev = DevProcess(caller, env=env)
        try:
            dev.wait_for_output("Ready on http://127.0.0.1:")
            fetched, rpc, durable = dev.get("/").text.splitlines()
        finally:
            assert dev.stop() == 0, dev.output
    why = (
        f'Worker "jsworker" is running under wrangler dev (dev registry entry {registry / "jsworker"}), which '
        "flarebind cannot call: wrangler connects Workers through workerd's Cap'n Proto debug port "
        f"({entry['debugPortAddress']}), a protocol flarebind does not speak."
    )
    assert fetched.startswith(f"503 {why}")
    assert rpc.startswith(f"Exception: {why}")
    assert durable.startswith(f"Exception: {why}")
