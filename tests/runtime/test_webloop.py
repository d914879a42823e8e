"""``pyodide.webloop.WebLoop``: the re-entrancy Pyodide allows (``run_until_complete``, ``asyncio.run``,
``asyncio.Runner`` from synchronous code inside a running handler), while the loop keeps serving other work."""

from __future__ import annotations

import asyncio
import json
import sys
import textwrap
from pathlib import Path

import pytest
from flarebind.runtime.sdk.webloop import (
    PyodideFuture,
    WebLoop,
    install_reentrancy,
    uninstall_reentrancy,
)

from tests.e2e.devproc import DevProcess, free_port


def _run(main) -> object:  # type: ignore[no-untyped-def]
    loop = WebLoop()
    try:
        return loop.run_until_complete(main())
    finally:
        loop.close()


def test_run_until_complete_nests_on_the_running_loop_and_other_tasks_progress() -> None:
    async def main() -> object:
        released = asyncio.Event()

        async def other() -> None:
            await asyncio.sleep(0)
            released.set()

        async def needs_other() -> str:
            await released.wait()  # only finishes if the loop keeps running other tasks meanwhile
            return "done"

        task = asyncio.ensure_future(other())

        def synchronous_code() -> str:
            loop = asyncio.get_event_loop()  # the running WebLoop
            return loop.run_until_complete(needs_other())

        result = synchronous_code()
        await task
        return result, asyncio.current_task() is not None

    assert _run(main) == ("done", True)


def test_asyncio_run_and_new_loops_nest_while_installed() -> None:
    async def twice(x: int) -> int:
        await asyncio.sleep(0)
        return 2 * x

    async def main() -> list[int]:
        results = [asyncio.run(twice(1))]
        fresh = asyncio.new_event_loop()  # the default policy: a stock loop, so bring a WebLoop as Pyodide would
        fresh.close()
        other = WebLoop()
        results.append(other.run_until_complete(twice(2)))
        other.close()
        if sys.version_info >= (3, 11):
            with asyncio.Runner() as runner:  # what pytest-asyncio uses for async fixtures
                results.append(runner.run(twice(3)))
        return results

    install_reentrancy()
    try:
        expected = [2, 4, 6] if sys.version_info >= (3, 11) else [2, 4]
        assert _run(main) == expected
    finally:
        uninstall_reentrancy()
    assert asyncio.run.__module__ == "asyncio.runners"  # restored


def test_stock_loops_are_not_patched() -> None:
    async def inner() -> None:
        await asyncio.sleep(0)

    async def main() -> str:
        stock = asyncio.new_event_loop()
        coro = inner()
        try:
            stock.run_until_complete(coro)
        except RuntimeError as exc:
            coro.close()
            return str(exc)
        finally:
            stock.close()
        return "ran"

    # on a stock running loop, nesting is refused as CPython always does
    assert asyncio.run(main()) == "Cannot run the event loop while another loop is running"


def test_futures_have_the_promise_methods() -> None:
    async def main() -> list[object]:
        loop = asyncio.get_running_loop()
        seen: list[object] = []
        ok = loop.create_future()
        assert isinstance(ok, PyodideFuture)
        chained = ok.then(lambda v: v + 1).finally_(lambda: seen.append("finally"))
        ok.set_result(1)
        seen.append(await chained)
        bad = loop.create_future()
        caught = bad.catch(lambda e: f"caught {e}")
        bad.set_exception(ValueError("x"))
        seen.append(await caught)
        return seen

    assert _run(main) == ["finally", 2, "caught x"]


# -- a real `flarebind dev` running pytest (with pytest-asyncio) inside its fetch handler, as the SDK's tests do ----

IN_WORKER_TESTS = """
import asyncio

import pytest
from workers import fetch


@pytest.fixture
async def stored(env):
    await env.KV.put("k", "v")
    yield "k"
    await env.KV.delete("k")


async def test_async_fixture_and_binding(env, stored):
    assert await env.KV.get(stored) == "v"


async def test_the_server_keeps_serving_while_pytest_runs(env):
    response = await fetch(f"http://127.0.0.1:{env.PORT}/ping")
    assert await response.text() == "pong"


def test_sync_run_until_complete():
    loop = asyncio.get_event_loop()
    assert loop.run_until_complete(asyncio.sleep(0, result=7)) == 7
"""

WORKER = """
import asyncio
import json
from urllib.parse import urlparse

import pytest
from pyodide.webloop import WebLoop
from workers import Response, WorkerEntrypoint


async def _noop(*args):
    pass


WebLoop.shutdown_asyncgens = _noop  # what the SDK's test Workers do
WebLoop.shutdown_default_executor = _noop


class Collector:
    def __init__(self):
        self.results = {}

    def pytest_runtest_logreport(self, report):
        if report.when == "call" or report.outcome != "passed":
            self.results[report.nodeid.split("::")[-1]] = report.outcome


class EnvPlugin:
    def __init__(self, env):
        self._env = env

    @pytest.fixture
    def env(self):
        return self._env


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        path = urlparse(request.url).path
        if path == "/ping":
            return Response("pong")
        collector = Collector()
        code = pytest.main(
            ["--pyargs", "test_inworker", "-p", "no:cacheprovider", "-q", "-o", "asyncio_mode=auto"],
            plugins=[collector, EnvPlugin(self.env)],
        )
        return Response(json.dumps({"code": int(code), "results": collector.results}))
"""


@pytest.mark.skipif(sys.version_info < (3, 11), reason="pytest-asyncio drives fixtures through asyncio.Runner (3.11+)")
def test_pytest_runs_inside_a_handler_of_flarebind_dev(tmp_path: Path, clean_env: dict[str, str]) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "entry.py").write_text(textwrap.dedent(WORKER))
    (tmp_path / "src" / "test_inworker.py").write_text(textwrap.dedent(IN_WORKER_TESTS))
    port = free_port()
    (tmp_path / "wrangler.toml").write_text(
        textwrap.dedent(f"""
        name = "inworker"
        main = "src/entry.py"
        compatibility_date = "2026-05-01"
        compatibility_flags = ["python_workers"]

        [vars]
        PORT = "{port}"

        [[kv_namespaces]]
        binding = "KV"
        id = "kv"
        """)
    )
    proc = DevProcess(tmp_path, "--no-watch", env=clean_env, port=port)
    try:
        proc.wait_for_output("Ready on")
        response = proc.get("/run")
        assert response.status_code == 200, response.text
        got = json.loads(response.text)
        assert got["results"] == {
            "test_async_fixture_and_binding": "passed",
            "test_the_server_keeps_serving_while_pytest_runs": "passed",
            "test_sync_run_until_complete": "passed",
        }, proc.output
        assert got["code"] == 0
        assert proc.get("/ping").text == "pong"  # and it serves normally afterwards
    finally:
        assert proc.stop() == 0, proc.output
