"""Dispatch namespaces locally, with real processes: `flarebind dispatch-namespace add-local` registers a user Worker
from a folder, then a dispatch Worker under `flarebind dev` reaches it with `env.DISPATCHER.get(script)` (fetch and
RPC, the user Worker with its own bindings and state); an unknown script raises "Worker not found."; with an outbound
Worker configured, every fetch() of the user Worker goes through it, with the declared parameters in its env."""

from __future__ import annotations

import http.server
import subprocess
import textwrap
import threading
from pathlib import Path

from .devproc import BIN, DevProcess

DISPATCHER = """
from urllib.parse import urlparse, parse_qs

from workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        script = parse_qs(urlparse(request.url).query).get("script", [""])[0]
        try:
            user = self.env.DISPATCHER.get(script, {}, {"limits": {"cpuMs": 10}})
        except Exception as exc:
            if str(exc).startswith("Worker not found"):
                return Response(str(exc), status=404)
            raise
        if urlparse(request.url).path == "/rpc":
            return Response(await user.plan())
        return await user.fetch(request)
"""

CUSTOMER = """
from workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        n = int(await self.env.KV.get("n") or 0) + 1
        await self.env.KV.put("n", str(n))
        return Response(f"{self.env.TENANT} visit {n}")

    def plan(self):
        return f"{self.env.TENANT} is on the free plan"
"""


def _write(root: Path, config: str, code: str) -> None:
    (root / "src").mkdir(parents=True)
    (root / "src" / "entry.py").write_text(textwrap.dedent(code))
    (root / "wrangler.toml").write_text(textwrap.dedent(config))


def _cli(cwd: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "flarebind"), *args], cwd=cwd, env=env, capture_output=True, text=True)


def test_dispatch_to_a_locally_registered_user_worker(tmp_path: Path, clean_env: dict[str, str]) -> None:
    _write(
        tmp_path,
        """
        name = "dispatcher"
        main = "src/entry.py"
        compatibility_date = "2026-05-01"
        compatibility_flags = ["python_workers"]

        [[dispatch_namespaces]]
        binding = "DISPATCHER"
        namespace = "customers"
        """,
        DISPATCHER,
    )
    _write(
        tmp_path / "customers" / "acme",
        """
        name = "acme"
        main = "src/entry.py"
        compatibility_date = "2026-05-01"
        compatibility_flags = ["python_workers"]

        [vars]
        TENANT = "acme"

        [[kv_namespaces]]
        binding = "KV"
        id = "acme-kv"
        """,
        CUSTOMER,
    )
    added = _cli(tmp_path, clean_env, "dispatch-namespace", "add-local", "customers", "acme", "customers/acme")
    assert added.returncode == 0, added.stderr
    assert 'Added "acme" to dispatch namespace "customers" (local)' in added.stdout
    listed = _cli(tmp_path, clean_env, "dispatch-namespace", "list-local", "customers")
    assert listed.stdout.startswith("acme\t") and listed.stdout.strip().endswith("customers/acme/wrangler.toml")
    bad = _cli(tmp_path, clean_env, "dispatch-namespace", "add-local", "../escape", "acme", "customers/acme")
    assert bad.returncode == 1 and "Invalid dispatch namespace name '../escape'" in bad.stdout + bad.stderr

    proc = DevProcess(tmp_path, env=clean_env)
    try:
        proc.wait_for_output("Ready on http://127.0.0.1:")
        assert proc.get("/?script=acme").text == "acme visit 1"
        assert proc.get("/?script=acme").text == "acme visit 2"
        assert proc.get("/rpc?script=acme").text == "acme is on the free plan"
        missing = proc.get("/?script=nobody")
        assert (missing.status_code, missing.text) == (404, "Worker not found.")
    finally:
        assert proc.stop() == 0, proc.output
    # the user Worker kept its state in its own folder
    assert (tmp_path / "customers" / "acme" / ".wrangler" / "state" / "v3" / "kv").is_dir()

    removed = _cli(tmp_path, clean_env, "dispatch-namespace", "remove-local", "customers", "acme")
    assert (
        removed.returncode == 0
        and _cli(tmp_path, clean_env, "dispatch-namespace", "list-local", "customers").stdout == ""
    )


OUTBOUND_DISPATCHER = """
import json
from urllib.parse import urlparse, parse_qs

from workers import Response, WorkerEntrypoint, fetch


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        query = parse_qs(urlparse(request.url).query)
        if urlparse(request.url).path == "/direct":  # the dispatch Worker's own fetch is not intercepted
            r = await fetch(self.env.ORIGIN + "/direct")
            return Response(await r.text())
        outbound = {"customer_name": query["customer"][0], "undeclared": "never seen"}
        user = self.env.DISPATCHER.get("acme", {}, {"outbound": outbound})
        if urlparse(request.url).path == "/rpc":
            return Response(await user.via_rpc())
        return await user.fetch(request)
"""

OUTBOUND_USER = """
from urllib.parse import urlparse

from workers import Response, WorkerEntrypoint, fetch


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        target = "http://blocked.invalid/x" if urlparse(request.url).path == "/blocked" else self.env.ORIGIN + "/data"
        r = await fetch(target)
        return Response(f"user got {r.status} {await r.text()}")

    async def via_rpc(self):
        r = await fetch(self.env.ORIGIN + "/rpc")
        return await r.text()
"""

OUTBOUND_WORKER = """
from urllib.parse import urlparse

from workers import Response, WorkerEntrypoint, fetch


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        if urlparse(request.url).hostname == "blocked.invalid":
            return Response(f"blocked for {self.env.customer_name}", status=403)
        extra = "undeclared leaked" if "undeclared" in self.env else "only declared"
        r = await fetch(request.url, headers={"x-customer": self.env.customer_name, "x-extra": extra})
        return Response(await r.text(), status=r.status)
"""


class _Origin(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = f"origin {self.path} customer={self.headers.get('x-customer')} {self.headers.get('x-extra')}".encode()
        self.send_response(200)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_outbound_worker_sees_every_user_subrequest_with_its_parameters(
    tmp_path: Path, clean_env: dict[str, str]
) -> None:
    origin = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Origin)
    threading.Thread(target=origin.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{origin.server_address[1]}"
    common = 'main = "src/entry.py"\ncompatibility_date = "2026-05-01"\ncompatibility_flags = ["python_workers"]\n'
    _write(
        tmp_path / "dispatcher",
        f'name = "dispatcher"\n{common}\n[vars]\nORIGIN = "{url}"\n\n'
        '[[dispatch_namespaces]]\nbinding = "DISPATCHER"\nnamespace = "customers"\n'
        'outbound = { service = "egress", parameters = ["customer_name"] }\n',
        OUTBOUND_DISPATCHER,
    )
    _write(tmp_path / "egress", f'name = "egress"\n{common}', OUTBOUND_WORKER)
    _write(tmp_path / "acme", f'name = "acme"\n{common}\n[vars]\nORIGIN = "{url}"\n', OUTBOUND_USER)
    added = _cli(tmp_path / "dispatcher", clean_env, "dispatch-namespace", "add-local", "customers", "acme", "../acme")
    assert added.returncode == 0, added.stderr
    proc = DevProcess(
        tmp_path / "dispatcher",
        "-c",
        "wrangler.toml",
        "-c",
        "../egress/wrangler.toml",
        env=clean_env,
    )
    try:
        proc.wait_for_output("Ready on http://127.0.0.1:")
        assert proc.get("/?customer=acme").text == "user got 200 origin /data customer=acme only declared"
        assert proc.get("/blocked?customer=globex").text == "user got 403 blocked for globex"
        assert proc.get("/rpc?customer=initech").text == "origin /rpc customer=initech only declared"
        assert proc.get("/direct").text == "origin /direct customer=None None"
    finally:
        assert proc.stop() == 0, proc.output
        origin.shutdown()
