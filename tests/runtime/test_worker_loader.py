"""Worker Loader (`worker_loaders`): the dynamic-py-py example's pattern, isolation, caching by id, RPC, errors."""

from __future__ import annotations

import pytest

PARENT = '''
from js import Object
from pyodide.ffi import create_proxy, to_js
from workers import Response, WorkerEntrypoint

import helper

DYNAMIC_WORKER_SOURCE = """
from workers import Response, WorkerEntrypoint

import helper


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return Response(f"Hello from a dynamically-loaded Python Worker! {helper.WHO} {self.env.GREETING}")

    def add(self, a, b):
        return a + b


class Named(WorkerEntrypoint):
    def who(self):
        return f"named, props={self.ctx.props.user}"
"""

CALLS = []


def _worker_code():
    CALLS.append(1)
    return to_js(
        {
            "compatibilityDate": "2026-04-01",
            "compatibilityFlags": ["python_workers"],
            "mainModule": "entry.py",
            "modules": {"entry.py": DYNAMIC_WORKER_SOURCE, "helper.py": {"py": "WHO = 'dynamic helper'"}},
            "env": {"GREETING": "hi"},
        },
        dict_converter=Object.fromEntries,
    )


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        worker = self.env.LOADER.get("hello-python-v1", create_proxy(_worker_code))
        path = request.url.split("/", 3)[3]
        if path == "rpc":
            total = await worker.getEntrypoint().add(2, 3)
            named = await worker.getEntrypoint("Named", {"props": {"user": "ada"}}).who()
            return Response(f"{total} {named} calls={len(CALLS)} parent={helper.WHO}")
        entrypoint = worker.getEntrypoint()
        return await entrypoint.fetch(request._js_request)
'''


async def test_dynamic_py_py_pattern(run_worker, write_worker) -> None:
    write_worker("WHO = 'parent helper'\n", name="helper.py")  # the parent's own helper.py
    rt = await run_worker(PARENT, bindings={"LOADER": {"type": "worker_loader"}})
    first = await rt.dispatch_fetch("http://localhost/")
    assert await first.text() == "Hello from a dynamically-loaded Python Worker! dynamic helper hi"
    rpc = await rt.dispatch_fetch("http://localhost/rpc")
    # the callback ran once for the id (cached); each Worker kept its own `helper` module
    assert await rpc.text() == "5 named, props=ada calls=1 parent=parent helper"


async def test_bad_module_names_and_js_modules_are_errors(run_worker) -> None:
    rt = await run_worker(
        """
        from workers import Response, WorkerEntrypoint

        class Default(WorkerEntrypoint):
            async def fetch(self, request):
                out = []
                for i, code in enumerate([
                    {"mainModule": "entry.py", "modules": {"entry.py": "x = 1", "../escape.py": "x"}},
                    {"mainModule": "index.js", "modules": {"index.js": "export default {}"}},
                    {"mainModule": "missing.py", "modules": {"entry.py": "x = 1"}},
                    {"mainModule": "entry.py", "modules": {"entry.py": "x"}, "globalOutbound": "x"},
                ]):
                    try:
                        await self.env.LOADER.get(f"bad{i}", lambda code=code: code).getEntrypoint().fetch(
                            "http://x/"
                        )
                        out.append("loaded")
                    except Exception as exc:
                        out.append(f"{type(exc).__name__}: {exc}")
                return Response("\\n".join(out))
        """,
        bindings={"LOADER": {"type": "worker_loader"}},
    )
    lines = (await (await rt.dispatch_fetch("http://localhost/")).text()).splitlines()
    assert lines[0].startswith("TypeError: Invalid module name '../escape.py'")
    assert lines[1].startswith("NotImplementedError: Worker Loader: mainModule 'index.js' is not a Python module")
    assert lines[2].startswith("TypeError: mainModule 'missing.py' must name one of the modules given")
    assert lines[3].startswith("TypeError: globalOutbound must be a Fetcher")


@pytest.mark.parametrize("missing", ["Nope"])
async def test_unknown_named_entrypoint(run_worker, missing: str) -> None:
    rt = await run_worker(
        f"""
        from workers import Response, WorkerEntrypoint

        SRC = (
            "from workers import WorkerEntrypoint\\n"
            "class Default(WorkerEntrypoint):\\n"
            "    def a(self): return 1\\n"
        )

        class Default(WorkerEntrypoint):
            async def fetch(self, request):
                stub = self.env.LOADER.get("w", lambda: {{"mainModule": "m.py", "modules": {{"m.py": SRC}}}})
                try:
                    await stub.getEntrypoint("{missing}").a()
                except TypeError as exc:
                    return Response(str(exc))
                return Response("no error")
        """,
        bindings={"LOADER": {"type": "worker_loader"}},
    )
    text = await (await rt.dispatch_fetch("http://localhost/")).text()
    assert f'with a named entrypoint "{missing}", but "w" has no such named entrypoint.' in text


GLOBAL_OUTBOUND = '''
from workers import Response, WorkerEntrypoint

LOADED = """
from workers import Response, WorkerEntrypoint, fetch


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        try:
            r = await fetch(self.env.TARGET)
            return Response(f"{r.status} {await r.text()}")
        except Exception as exc:
            return Response(f"{type(exc).__name__}: {exc}")
"""

PROXY = """
from workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return Response(f"intercepted {request.method} {request.url}", status=299)
"""


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        target = request.url.split("?", 1)[1]
        proxy = self.env.LOADER.get("proxy", lambda: {"mainModule": "p.py", "modules": {"p.py": PROXY}})
        out = []
        for name, extra in (
            ("open", {}),
            ("blocked", {"globalOutbound": None}),
            ("routed", {"globalOutbound": proxy.getEntrypoint()}),
        ):
            code = {"mainModule": "w.py", "modules": {"w.py": LOADED}, "env": {"TARGET": target}, **extra}
            r = await self.env.LOADER.get(name, lambda code=code: code).getEntrypoint().fetch("http://w/")
            out.append(await r.text())
        return Response("\\n".join(out))
'''


async def test_global_outbound_routes_or_blocks_the_loaded_workers_fetch(run_worker) -> None:
    import http.server
    import threading

    class Origin(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("content-length", "6")
            self.end_headers()
            self.wfile.write(b"origin")

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Origin)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        target = f"http://127.0.0.1:{server.server_address[1]}/data"
        rt = await run_worker(GLOBAL_OUTBOUND, bindings={"LOADER": {"type": "worker_loader"}})
        lines = (await (await rt.dispatch_fetch(f"http://localhost/?{target}")).text()).splitlines()
    finally:
        server.shutdown()
    assert lines == [
        "200 origin",  # no globalOutbound: the network
        "JsException: This worker is not permitted to access the internet via global functions like fetch(). "
        "It must use capabilities (such as bindings in 'env') to talk to the outside world.",
        f"299 intercepted GET {target}",
    ]
