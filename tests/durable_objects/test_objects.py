"""Durable Objects run by the Runtime: namespaces, stubs (fetch and RPC), the execution model, storage on disk."""

from __future__ import annotations

import asyncio
import re
import sqlite3
from pathlib import Path

import pytest
from flarebind.errors import JsException
from flarebind.runtime.durable_objects.ids import IdFactory


def exact(text: str) -> str:
    """Cloudflare's texts are compared whole, not as regexes."""
    return "^" + re.escape(text) + "$"


def starts(text: str) -> str:
    return "^" + re.escape(text)


WORKER = """
import asyncio
from workers import DurableObject, Response, WorkerEntrypoint

CONSTRUCTED = []


class Counter(DurableObject):
    def __init__(self, ctx, env):
        super().__init__(ctx, env)
        CONSTRUCTED.append(ctx.id.toString())
        self.hits = 0

    async def increment(self, by=1):
        self.hits += 1
        value = (await self.ctx.storage.get("count") or 0) + by
        await self.ctx.storage.put("count", value)
        return value

    async def fetch(self, request):
        value = await self.increment()
        return Response(f"{self.ctx.id.name}:{value}:{request.method}")

    @property
    def label(self):
        return f"counter {self.ctx.id.name}"

    def echo(self, value):
        return value

    def helper(self):
        return Helper()

    def hits_so_far(self):
        return self.hits

    async def slow_then_write(self, key, delay):
        await asyncio.sleep(delay)
        await self.ctx.storage.put(key, delay)
        return key

    def boom(self):
        raise ValueError("boom from the object")

    def reset_me(self):
        self.ctx.abort("reset please")


class Loader(DurableObject):
    def __init__(self, ctx, env):
        super().__init__(ctx, env)
        self.loaded = None
        ctx.blockConcurrencyWhile(self.load)  # not awaited, as constructors do

    async def load(self):
        await asyncio.sleep(0.02)
        self.loaded = await self.ctx.storage.get("seed") or "fresh"

    def value(self):
        return self.loaded

    def later(self):
        async def work():
            await asyncio.sleep(0.01)
            await self.ctx.storage.put("later", "done")
        self.ctx.waitUntil(work())
        return "returned first"


class Helper:
    def greet(self, name):
        return f"hi {name}"


class Broken(DurableObject):
    def __init__(self, ctx, env):
        raise RuntimeError("constructor failed")

    def ping(self):
        return "pong"


class NotADurableObject:
    def __init__(self, ctx, env):
        pass

    async def fetch(self, request):
        return Response("plain fetch works")

    def ping(self):
        return "pong"


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        stub = self.env.COUNTER.get(self.env.COUNTER.idFromName("from-worker"))
        return await stub.fetch(request)
"""

DOS = {
    "COUNTER": {"class_name": "Counter", "use_sqlite": True, "worker_name": "app"},
    "BROKEN": {"class_name": "Broken", "worker_name": "app"},
    "PLAIN": {"class_name": "NotADurableObject", "worker_name": "app"},
    "LOADER": {"class_name": "Loader", "worker_name": "app"},
}


@pytest.fixture
async def rt(run_worker, tmp_path):
    return await run_worker(WORKER, durable_objects=DOS, in_memory=False, persist_to=tmp_path / "state")


async def test_namespace_ids_and_stub_identity(rt):
    ns = await rt.get_durable_object_namespace("COUNTER")
    a, b = ns.idFromName("a"), ns.idFromName("a")
    assert a.equals(b) and a.name == "a" and a.toString() == IdFactory("app-Counter").from_name("a")
    unique = ns.newUniqueId()
    assert unique.name is None and len(unique.toString()) == 64
    parsed = ns.idFromString(unique.toString())
    assert parsed.equals(unique) and parsed.name is None
    other = await rt.get_durable_object_namespace("BROKEN")
    with pytest.raises(TypeError, match=exact("Durable Object ID is not valid for this namespace.")):
        other.idFromString(unique.toString())
    with pytest.raises(NotImplementedError, match=exact("Jurisdiction restrictions are not implemented in workerd.")):
        ns.newUniqueId(jurisdiction="eu")
    assert ns.jurisdiction(None) is ns
    with pytest.raises(ValueError, match=exact("unknown routingMode: nearest")):
        ns.get(a, routingMode="nearest")
    stub = ns.getByName("a")
    assert stub.name == "a" and stub.id.equals(a)


async def test_fetch_through_the_worker_and_rpc_share_one_instance(rt):
    for expected in ("from-worker:1:GET", "from-worker:2:POST"):
        response = await rt.dispatch_fetch("http://localhost/", method="GET" if expected.endswith("GET") else "POST")
        assert await response.text() == expected
    stub = await rt.get_durable_object("COUNTER", "from-worker")
    assert await stub.increment(10) == 12
    assert await stub.hits_so_far() == 3  # one instance served the two fetches and the RPC call
    assert await stub.label == "counter from-worker"  # a property is read with await
    assert await stub.helper().greet("py") == "hi py"  # chained call on a returned object
    data = {"nested": [1, {"b": b"\x00"}]}
    echoed = await stub.echo(data)
    assert echoed == {"nested": [1, {"b": memoryview(b"\x00")}]} and echoed is not data
    assert echoed.nested[1].b == b"\x00"  # dicts come back with attribute access, as the SDK's JsDict
    with pytest.raises(TypeError, match="Unsupported type in RPC: tuple"):
        await stub.echo((1, 2))


async def test_rpc_errors_have_workerd_texts(rt):
    stub = await rt.get_durable_object("COUNTER", "errors")
    with pytest.raises(TypeError, match=exact('The RPC receiver does not implement the method "missing".')):
        await stub.missing()
    with pytest.raises(TypeError, match=exact("'alarm' is a reserved method and cannot be called over RPC.")):
        await stub.alarm()
    with pytest.raises(TypeError, match='does not implement the method "hits"'):
        await stub.hits  # instance attributes are not part of the RPC surface
    with pytest.raises(ValueError, match="boom from the object"):
        await stub.boom()
    with pytest.raises(TypeError, match=exact("Fetch API cannot load: /relative")):
        await stub.fetch("/relative")
    plain = await rt.get_durable_object("PLAIN", "x")
    assert await (await plain.fetch("http://do/")).text() == "plain fetch works"
    with pytest.raises(TypeError, match=starts("The receiving Durable Object does not support RPC, because its class")):
        await plain.ping()


async def test_constructor_failure_reaches_the_caller_each_time(rt):
    stub = await rt.get_durable_object("BROKEN", "b")
    for _ in range(2):
        with pytest.raises(RuntimeError, match="constructor failed"):
            await stub.ping()


async def test_abort_resets_the_instance(rt):
    worker = rt.worker.module
    stub = await rt.get_durable_object("COUNTER", "abort")
    await stub.increment()
    constructed = worker.CONSTRUCTED.count(stub.id.toString())
    with pytest.raises(JsException, match=exact("reset please")):
        await stub.reset_me()
    assert await stub.hits_so_far() == 0
    assert worker.CONSTRUCTED.count(stub.id.toString()) == constructed + 1
    assert await stub.increment() == 2  # storage survived the reset


async def test_events_interleave_only_at_awaits_and_writes_are_committed_before_replies(rt, tmp_path):
    stub = await rt.get_durable_object("COUNTER", "concurrency")
    results = await asyncio.gather(stub.slow_then_write("slow", 0.05), stub.increment(), stub.increment())
    assert results == ["slow", 1, 2]  # the increments ran while the slow call waited on its timer
    file = next((tmp_path / "state" / "v3" / "do" / "app-Counter").glob(f"{stub.id.toString()}.sqlite"))
    with sqlite3.connect(file) as other:  # another connection already sees what the replies promised
        keys = {k for (k,) in other.execute("SELECT key FROM _cf_KV")}
    assert keys == {"slow", "count"}


async def test_eviction_recreates_from_storage(rt):
    worker = rt.worker.module
    stub = await rt.get_durable_object("COUNTER", "evict")
    await stub.increment()
    await stub.increment()
    assert rt.evict_durable_objects() >= 1
    assert await stub.hits_so_far() == 0  # a fresh instance...
    assert await stub.increment() == 3  # ...on the stored state
    assert worker.CONSTRUCTED.count(stub.id.toString()) == 2


async def test_overloaded_object(rt):
    host = rt._durable_object_host()
    host.max_queued = 2
    stub = await rt.get_durable_object("COUNTER", "busy")
    calls = [stub.slow_then_write(f"k{i}", 0.02) for i in range(3)]
    results = await asyncio.gather(*calls, return_exceptions=True)
    assert [r for r in results if isinstance(r, str)] == ["k0", "k1"]
    assert str(results[2]) == "Durable Object is overloaded. Too many requests queued."


async def test_state_files_in_wranglers_layout(rt, tmp_path):
    stub = await rt.get_durable_object("COUNTER", "layout")
    await stub.increment(5)
    folder = tmp_path / "state" / "v3" / "do" / "app-Counter"
    file = folder / f"{IdFactory('app-Counter').from_name('layout')}.sqlite"
    assert file.exists()
    with sqlite3.connect(file) as conn:
        assert conn.execute("SELECT value FROM _cf_KV WHERE key = 'count'").fetchone()[0] == bytes.fromhex("ff0f490a")
        assert conn.execute("SELECT name FROM __miniflare_do_name").fetchone() == ("layout",)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"class_name": "../Escape"}, "is not a valid class name"),
        ({"class_name": "Counter", "worker_name": "../../etc"}, "cannot name a state folder"),
    ],
)
async def test_names_that_would_escape_the_state_folder_are_refused(run_worker, tmp_path, spec, message):
    with pytest.raises(ValueError, match=message):
        await run_worker(WORKER, durable_objects={"X": spec}, in_memory=False, persist_to=tmp_path / "state")
    assert not (tmp_path / "etc").exists() and not Path(tmp_path / "state" / "v3" / "Escape").exists()


async def test_script_name_of_a_worker_not_running_gives_wranglers_text(run_worker, tmp_path, monkeypatch):
    monkeypatch.setenv("FLAREBIND_REGISTRY_PATH", str(tmp_path / "empty-registry"))
    monkeypatch.setenv("WRANGLER_REGISTRY_PATH", str(tmp_path / "empty-wrangler-registry"))
    rt = await run_worker(WORKER, durable_objects={"X": {"class_name": "Counter", "script_name": "other"}})
    env = await rt.get_bindings()
    # ids are the owner's ("other-Counter" keyed), so they can be made without the owner running
    assert env.X.idFromName("a").toString() == IdFactory("other-Counter").from_name("a")
    with pytest.raises(
        Exception, match="^" + re.escape('Worker "other" not found. Make sure it is running locally.') + "$"
    ):
        await env.X.getByName("a").increment()
    response = await env.X.getByName("a").fetch("http://x/")
    assert (response.status, await response.text()) == (
        503,
        'Worker "other" not found. Make sure it is running locally.',
    )


async def test_block_concurrency_while_holds_events_until_loaded_and_wait_until_runs_after(rt):
    stub = await rt.get_durable_object("LOADER", "l")
    assert await asyncio.gather(stub.value(), stub.value()) == ["fresh", "fresh"]
    assert await stub.later() == "returned first"
    await rt.wait_until_settled()
    assert await rt.run_in_durable_object(stub, lambda obj, ctx: ctx.storage.get("later")) == "done"


async def test_a_throwing_block_concurrency_while_resets_the_object(run_worker):
    source = (
        WORKER
        + """

class Flaky(DurableObject):
    ATTEMPTS = []

    def __init__(self, ctx, env):
        super().__init__(ctx, env)
        Flaky.ATTEMPTS.append(1)
        ctx.blockConcurrencyWhile(self.load)

    async def load(self):
        await asyncio.sleep(0.01)
        if len(Flaky.ATTEMPTS) == 1:
            raise RuntimeError("first load fails")

    def attempts(self):
        return len(Flaky.ATTEMPTS)
"""
    )
    rt = await run_worker(source, durable_objects={"FLAKY": {"class_name": "Flaky"}})
    stub = await rt.get_durable_object("FLAKY", "f")
    with pytest.raises(RuntimeError, match="first load fails"):  # the waiting call fails with the load's error
        await stub.attempts()
    assert await stub.attempts() == 2  # the object was reset: the next call constructs it again


async def test_a_block_concurrency_while_that_never_settles_is_cancelled_and_resets_the_object(run_worker, monkeypatch):
    from flarebind.runtime.durable_objects import state

    monkeypatch.setattr(state, "BLOCK_CONCURRENCY_TIMEOUT_S", 0.05)  # workerd's 30 s, shortened for the test
    source = (
        WORKER
        + """

class Stuck(DurableObject):
    ATTEMPTS = []
    CANCELLED = []

    def __init__(self, ctx, env):
        super().__init__(ctx, env)
        Stuck.ATTEMPTS.append(1)
        ctx.blockConcurrencyWhile(self.load)

    async def load(self):
        if len(Stuck.ATTEMPTS) == 1:
            try:
                await asyncio.Event().wait()  # a critical section that deadlocks
            except asyncio.CancelledError:
                Stuck.CANCELLED.append(1)
                raise

    def attempts(self):
        return [len(Stuck.ATTEMPTS), len(Stuck.CANCELLED)]
"""
    )
    rt = await run_worker(source, durable_objects={"STUCK": {"class_name": "Stuck"}})
    stub = await rt.get_durable_object("STUCK", "s")
    text = (
        "A call to blockConcurrencyWhile() in a Durable Object waited for too long. "
        "The call was canceled and the Durable Object was reset."
    )
    with pytest.raises(JsException, match="^" + re.escape(text) + "$"):
        await stub.attempts()
    assert await stub.attempts() == [2, 1]  # the callback was cancelled; the next call constructs the object again


async def test_an_outgoing_fetch_leaves_only_after_the_objects_writes_are_committed(run_worker, tmp_path):
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    seen: list[int] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # what another connection to the object's file sees when the request arrives
            folder = tmp_path / "state" / "v3" / "do" / "app-Sender"
            file = next(f for f in folder.glob("*.sqlite") if f.name != "metadata.sqlite")
            with sqlite3.connect(file) as other:
                seen.append(other.execute("SELECT count(*) FROM _cf_KV WHERE key = 'sent'").fetchone()[0])
            self.send_response(200)
            self.send_header("content-length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    source = (
        WORKER
        + """

from workers import fetch


class Sender(DurableObject):
    async def send(self, url):
        await self.ctx.storage.put("sent", 1)  # not yet committed: the turn has not ended
        response = await fetch(url)
        return await response.text()
"""
    )
    try:
        rt = await run_worker(
            source,
            durable_objects={"SENDER": {"class_name": "Sender", "use_sqlite": True, "worker_name": "app"}},
            in_memory=False,
            persist_to=tmp_path / "state",
        )
        stub = await rt.get_durable_object("SENDER", "s")
        assert await stub.send(f"http://127.0.0.1:{server.server_port}/") == "ok"
    finally:
        server.shutdown()
        server.server_close()
    assert seen == [1]
