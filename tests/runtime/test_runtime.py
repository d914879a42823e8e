"""Runtime: handler discovery and calling conventions, bindings, waitUntil, events, options, config."""

from __future__ import annotations

import asyncio
import json
import textwrap
from pathlib import Path

import pytest
from flarebind.runtime.loader import WorkerLoadError
from flarebind.runtime.runtime import Runtime

DOCUMENTED_STYLE = """
from workers import Response, WorkerEntrypoint
from urllib.parse import urlparse, parse_qs


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        url = urlparse(request.url)
        name = parse_qs(url.query).get("name", ["world"])[0]
        await self.env.KV.put("last", name)
        await self.env.DB.prepare("CREATE TABLE IF NOT EXISTS seen (name TEXT)").run()
        await self.env.DB.prepare("INSERT INTO seen (name) VALUES (?)").bind(name).run()
        rows = await self.env.DB.prepare("SELECT name FROM seen WHERE name = ?").bind(name).all()
        return Response.json({
            "hello": name,
            "last": await self.env.KV.get("last"),
            "count": len(rows.results),
            "method": request.method,
        })
"""


async def test_documented_style_worker_with_kv_and_d1(run_worker) -> None:
    rt = await run_worker(
        DOCUMENTED_STYLE,
        kv_namespaces={"KV": {"id": "kv-id"}},
        d1_databases={"DB": {"id": "db-id"}},
    )
    first = await rt.dispatch_fetch("http://localhost/?name=ada")
    second = await rt.dispatch_fetch("http://localhost/?name=ada", method="POST", body="")
    assert first.status == 200
    assert await first.json() == {"hello": "ada", "last": "ada", "count": 1, "method": "GET"}
    assert (await second.json())["count"] == 2
    env = await rt.get_bindings()
    assert await env.KV.get("last") == "ada"


async def test_fetch_handler_arity_is_relaxed(run_worker) -> None:
    rt = await run_worker(
        """
        from workers import Response, WorkerEntrypoint
        class Default(WorkerEntrypoint):
            async def fetch(self, request, env, ctx):
                # class handlers get None here: env and ctx went to the constructor
                return Response(f"{env is None} {ctx is None} {self.env.NAME} {hasattr(self.ctx, 'waitUntil')}")
    """,
        vars={"NAME": "x"},
    )
    assert await (await rt.dispatch_fetch("http://localhost/")).text() == "True True x True"


async def test_fetch_without_request_parameter(run_worker) -> None:
    rt = await run_worker("""
        from workers import Response, WorkerEntrypoint
        class Default(WorkerEntrypoint):
            async def fetch(self):
                return Response("no args")
    """)
    assert await (await rt.dispatch_fetch("http://localhost/")).text() == "no args"


async def test_subclass_that_skips_super_init_still_has_env(run_worker) -> None:
    rt = await run_worker(
        """
        from workers import Response, WorkerEntrypoint
        class Default(WorkerEntrypoint):
            def __init__(self, state, env):
                self.custom = "set"
            async def fetch(self, request):
                return Response(self.custom + " " + self.env.V)
    """,
        vars={"V": "v"},
    )
    assert await (await rt.dispatch_fetch("http://localhost/")).text() == "set v"


async def test_one_instance_per_request(run_worker) -> None:
    rt = await run_worker("""
        from workers import Response, WorkerEntrypoint
        class Default(WorkerEntrypoint):
            def __init__(self, ctx, env):
                super().__init__(ctx, env)
                self.count = 0
            async def fetch(self, request):
                self.count += 1
                return Response(str(self.count))
    """)
    for _ in range(3):
        assert await (await rt.dispatch_fetch("http://localhost/")).text() == "1"


LEGACY = """
from js import Response

async def on_fetch(request, env):
    return Response.new(f"legacy {request.method} {env.V}", status=203, headers={"x-legacy": "1"})
"""


async def test_legacy_on_fetch_runs_where_the_date_allows_it(run_worker) -> None:
    rt = await run_worker(LEGACY, compatibility_date="2025-05-01", vars={"V": "v"})
    response = await rt.dispatch_fetch("http://localhost/", method="PUT", body="x")
    assert response.status == 203
    assert response.headers["x-legacy"] == "1"
    assert await response.text() == "legacy PUT v"


async def test_legacy_on_fetch_with_the_disable_flag(run_worker) -> None:
    rt = await run_worker(
        LEGACY,
        compatibility_date="2026-05-01",
        compatibility_flags=["python_workers", "disable_python_no_global_handlers"],
        vars={"V": "v"},
    )
    assert (await rt.dispatch_fetch("http://localhost/")).status == 203


async def test_legacy_on_fetch_refused_after_the_default_date(run_worker) -> None:
    with pytest.raises(WorkerLoadError, match="python_no_global_handlers"):
        await run_worker(LEGACY, compatibility_date="2026-05-01")


async def test_legacy_handler_decorator_and_unawaited_return(run_worker) -> None:
    rt = await run_worker(
        """
        from workers import handler, Response

        async def make(text):
            return Response(text)

        @handler
        async def on_fetch(request, env):
            # returns an un-awaited coroutine: the runtime resolves it, as workerd does for legacy handlers
            return make(f"{type(request).__name__} {request.method}")
    """,
        compatibility_date="2025-01-01",
    )
    assert await (await rt.dispatch_fetch("http://localhost/")).text() == "Request GET"


async def test_class_handler_returning_an_awaitable_is_an_error(run_worker) -> None:
    logs: list[str] = []
    rt = await run_worker(
        """
        from workers import Response, WorkerEntrypoint
        async def make():
            return Response("x")
        class Default(WorkerEntrypoint):
            async def fetch(self, request):
                return make()  # missing `await`
    """,
        logs=logs,
    )
    response = await rt.dispatch_fetch("http://localhost/")
    assert response.status == 500
    assert "returned an awaitable" in await response.text()


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("x = 1\n", "has no default handler"),
        (
            "from workers import WorkerEntrypoint\n"
            "class Default(WorkerEntrypoint): pass\nasync def on_fetch(r): pass\n",
            "Cannot define multiple default entrypoints",
        ),
        ("class Default:\n    async def fetch(self, request): pass\n", "must be a class that subclasses"),
        ("raise ImportError('no such thing')\n", "ImportError: no such thing"),
    ],
)
async def test_load_errors_are_clear(run_worker, source: str, message: str) -> None:
    with pytest.raises(WorkerLoadError, match=message):
        await run_worker(source, compatibility_date="2025-01-01")


async def test_main_must_be_a_py_file(tmp_path: Path) -> None:
    (tmp_path / "entry.js").write_text("")
    with pytest.raises(WorkerLoadError, match=r"Main module needs to end with a \.py file extension"):
        async with Runtime(main=tmp_path / "entry.js", in_memory=True):
            pass


async def test_all_restricts_exports(run_worker) -> None:
    with pytest.raises(WorkerLoadError, match="has no default handler"):
        await run_worker("""
            from workers import Response, WorkerEntrypoint
            __all__ = ["helper"]
            def helper(): pass
            class Default(WorkerEntrypoint):
                async def fetch(self, request):
                    return Response("x")
        """)


async def test_sibling_modules_import_as_top_level(run_worker, write_worker) -> None:
    write_worker("", name="unused.py", helpers="def shout(s):\n    return s.upper()\n")
    rt = await run_worker("""
        from helpers import shout
        from workers import Response, WorkerEntrypoint
        class Default(WorkerEntrypoint):
            async def fetch(self, request):
                return Response(shout("hi"))
    """)
    assert await (await rt.dispatch_fetch("http://localhost/")).text() == "HI"


async def test_uncaught_exception_is_a_500_with_traceback_and_a_log(run_worker) -> None:
    logs: list[str] = []
    rt = await run_worker(
        """
        from workers import WorkerEntrypoint
        class Default(WorkerEntrypoint):
            async def fetch(self, request):
                raise KeyError("missing-thing")
    """,
        logs=logs,
    )
    response = await rt.dispatch_fetch("http://localhost/x")
    assert response.status == 500
    body = await response.text()
    assert "Traceback" in body and "KeyError: 'missing-thing'" in body
    assert any("Uncaught exception in fetch handler (GET http://localhost/x)" in line for line in logs)
    rt.error_bodies = False
    assert await (await rt.dispatch_fetch("http://localhost/x")).text() == "Internal Server Error"


async def test_vars_secrets_and_json_vars(run_worker) -> None:
    rt = await run_worker(
        """
        from workers import Response, WorkerEntrypoint
        class Default(WorkerEntrypoint):
            async def fetch(self, request):
                return Response.json({
                    "text": self.env.TEXT, "nested": self.env.CONF.limits.max, "item": self.env.CONF["name"],
                    "secret": self.env.TOKEN, "missing": hasattr(self.env, "NOPE"),
                })
    """,
        vars={"TEXT": "plain", "CONF": {"name": "n", "limits": {"max": 3}}},
        secrets={"TOKEN": "s3cret"},
    )
    assert await (await rt.dispatch_fetch("http://localhost/")).json() == {
        "text": "plain",
        "nested": 3,
        "item": "n",
        "secret": "s3cret",
        "missing": False,
    }


async def test_module_level_env_and_wait_until(run_worker) -> None:
    rt = await run_worker(
        """
        import asyncio
        from workers import Response, WorkerEntrypoint, env, wait_until

        GREETING_AT_IMPORT = env.GREETING

        async def later(kv):
            await asyncio.sleep(0)
            await kv.put("later", "done")

        class Default(WorkerEntrypoint):
            async def fetch(self, request):
                wait_until(later(self.env.KV))
                return Response(GREETING_AT_IMPORT)
    """,
        vars={"GREETING": "hey"},
        kv_namespaces={"KV": "kv"},
    )
    assert await (await rt.dispatch_fetch("http://localhost/")).text() == "hey"
    await rt.wait_until_settled()
    env = await rt.get_bindings()
    assert await env.KV.get("later") == "done"


async def test_wait_until_failures_are_logged(run_worker) -> None:
    logs: list[str] = []
    rt = await run_worker(
        """
        from workers import Response, WorkerEntrypoint
        async def fail():
            raise ValueError("background went wrong")
        class Default(WorkerEntrypoint):
            async def fetch(self, request):
                self.ctx.waitUntil(fail())
                self.ctx.passThroughOnException()
                return Response("ok")
    """,
        logs=logs,
    )
    assert (await rt.dispatch_fetch("http://localhost/")).status == 200
    await rt.wait_until_settled()
    assert [type(e) for e in rt.wait_until_failures] == [ValueError]
    assert any("waitUntil" in line and "background went wrong" in line for line in logs)


async def test_scheduled_handler_is_called_strictly(run_worker) -> None:
    rt = await run_worker(
        """
        from workers import WorkerEntrypoint
        class Default(WorkerEntrypoint):
            async def scheduled(self, controller, env, ctx):
                assert env is None and ctx is None
                await self.env.KV.put("cron", f"{controller.cron}@{controller.scheduledTime}")
    """,
        kv_namespaces={"KV": "kv"},
    )
    assert await rt.dispatch_scheduled(cron="*/5 * * * *", scheduled_time=1000) == "ok"
    env = await rt.get_bindings()
    assert await env.KV.get("cron") == "*/5 * * * *@1000"


async def test_scheduled_with_two_parameters_fails_like_workerd(run_worker) -> None:
    logs: list[str] = []
    rt = await run_worker(
        """
        from workers import WorkerEntrypoint
        class Default(WorkerEntrypoint):
            async def scheduled(self, controller):
                pass
    """,
        logs=logs,
    )
    assert await rt.dispatch_scheduled(cron="* * * * *") == "exception"
    assert any("TypeError" in line for line in logs)


async def test_queue_handler_acks(run_worker) -> None:
    rt = await run_worker("""
        from workers import WorkerEntrypoint
        class Default(WorkerEntrypoint):
            async def queue(self, batch, env, ctx):
                for message in batch.messages:
                    if message.body["ok"]:
                        message.ack()
                    else:
                        message.retry()
    """)
    outcome = await rt.dispatch_queue("jobs", [{"ok": True}, {"ok": False}, {"ok": True}])
    assert outcome.outcome == "ok"
    assert len(outcome.acked) == 2 and len(outcome.retried) == 1


async def test_reload_picks_up_edits_and_keeps_last_good_version(run_worker, write_worker) -> None:
    source = """
        from workers import Response, WorkerEntrypoint
        class Default(WorkerEntrypoint):
            async def fetch(self, request):
                await self.env.KV.put("n", str(int(await self.env.KV.get("n") or 0) + 1))
                return Response("VERSION " + await self.env.KV.get("n"))
    """
    rt = await run_worker(source.replace("VERSION", "one"), kv_namespaces={"KV": "kv"})
    assert await (await rt.dispatch_fetch("http://localhost/")).text() == "one 1"
    write_worker(source.replace("VERSION", "two"))
    rt.reload()
    assert await (await rt.dispatch_fetch("http://localhost/")).text() == "two 2"
    write_worker("def broken(:\n")
    with pytest.raises(WorkerLoadError, match="SyntaxError"):
        rt.reload()
    assert await (await rt.dispatch_fetch("http://localhost/")).text() == "two 3"


async def test_set_options_keeps_unchanged_bindings_and_their_state(run_worker) -> None:
    rt = await run_worker(
        """
        from workers import Response, WorkerEntrypoint
        class Default(WorkerEntrypoint):
            async def fetch(self, request):
                return Response(f"{self.env.GREETING} {await self.env.KV.get('k')}")
    """,
        kv_namespaces={"KV": "kv"},
        vars={"GREETING": "hi"},
    )
    env = await rt.get_bindings()
    await env.KV.put("k", "kept")  # in memory: survives only because the binding object is reused
    await rt.set_options(vars={"GREETING": "hello"})
    assert await (await rt.dispatch_fetch("http://localhost/")).text() == "hello kept"
    with pytest.raises(TypeError, match="unexpected options"):
        await rt.set_options(nonsense=1)


async def test_persisted_state_is_shared_between_runtimes(write_worker, tmp_path: Path) -> None:
    main = write_worker("""
        from workers import Response, WorkerEntrypoint
        class Default(WorkerEntrypoint):
            async def fetch(self, request):
                n = int(await self.env.KV.get("n") or 0) + 1
                await self.env.KV.put("n", str(n))
                return Response(str(n))
    """)
    state = tmp_path / "state"
    for expected in ("1", "2"):
        async with Runtime(main=main, kv_namespaces={"KV": "kv"}, persist_to=state) as rt:
            assert await (await rt.dispatch_fetch("http://localhost/")).text() == expected
    assert (state / "v3" / "kv").is_dir()


async def test_from_config(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "entry.py").write_text(
        textwrap.dedent("""
        from workers import Response, WorkerEntrypoint
        class Default(WorkerEntrypoint):
            async def fetch(self, request):
                await self.env.KV.put("a", "b")
                return Response(self.env.NAME + " " + self.env.SECRET)
    """)
    )
    (tmp_path / "wrangler.toml").write_text(
        textwrap.dedent("""
        name = "cfg"
        main = "src/entry.py"
        compatibility_date = "2026-05-01"
        compatibility_flags = ["python_workers"]
        [vars]
        NAME = "from-config"
        [[kv_namespaces]]
        binding = "KV"
        id = "abc"
    """)
    )
    (tmp_path / ".dev.vars").write_text("SECRET=dev-secret\n")
    async with Runtime.from_config(tmp_path / "wrangler.toml") as rt:
        assert await (await rt.dispatch_fetch("http://localhost/")).text() == "from-config dev-secret"
        assert rt.compat.date == "2026-05-01"
    # default persistence: wrangler's state directory next to the config
    assert (tmp_path / ".wrangler" / "state" / "v3" / "kv").is_dir()
    async with Runtime.from_config(tmp_path / "wrangler.toml", vars={"NAME": "override"}, in_memory=True) as rt:
        assert (await (await rt.dispatch_fetch("http://localhost/")).text()).startswith("override")


async def test_remote_binding_without_a_session_is_a_clear_error(write_worker) -> None:
    main = write_worker("""
        from workers import Response, WorkerEntrypoint
        class Default(WorkerEntrypoint):
            async def fetch(self, request):
                return Response(await self.env.KV.get("x") or "none")
    """)
    # a connection string nobody listens on: the remote adapter fails with an error naming the problem
    rt = Runtime(
        main=main,
        in_memory=True,
        kv_namespaces={"KV": {"id": "x", "remote_proxy_connection_string": "http://127.0.0.1:9/bogus"}},
    )
    try:
        await rt.ready
    except Exception as exc:  # building the channel may fail up front
        assert str(exc)
        return
    try:
        response = await rt.dispatch_fetch("http://localhost/")
        assert response.status == 500
    finally:
        await rt.dispose()


async def test_dispatch_fetch_concurrently(run_worker) -> None:
    rt = await run_worker("""
        import asyncio
        from workers import Response, WorkerEntrypoint
        class Default(WorkerEntrypoint):
            async def fetch(self, request):
                await asyncio.sleep(0)
                return Response(request.url.rsplit("/", 1)[1])
    """)
    responses = await asyncio.gather(*(rt.dispatch_fetch(f"http://localhost/{i}") for i in range(20)))
    assert [await r.text() for r in responses] == [str(i) for i in range(20)]


async def test_request_body_and_headers_reach_the_worker(run_worker) -> None:
    rt = await run_worker("""
        from workers import Response, WorkerEntrypoint
        class Default(WorkerEntrypoint):
            async def fetch(self, request):
                data = await request.json()
                return Response.json({"got": data, "ct": request.headers.get("content-type"),
                                      "country": request.cf.country})
    """)
    response = await rt.dispatch_fetch(
        "http://localhost/", method="POST", body=json.dumps({"a": 1}), headers={"content-type": "application/json"}
    )
    assert await response.json() == {"got": {"a": 1}, "ct": "application/json", "country": "US"}


async def test_compat_flags_module_reflects_date_and_flags(run_worker) -> None:
    rt = await run_worker(
        """
        import _cloudflare_compat_flags as flags
        from workers import Response, WorkerEntrypoint

        class Default(WorkerEntrypoint):
            async def fetch(self, request):
                return Response.json([
                    flags.python_no_global_handlers,
                    flags.python_request_headers_preserve_commas,
                    flags.python_workers_20260610,
                    flags.enable_python_external_sdk,
                ])
        """,
        compatibility_date="2026-01-01",
        compatibility_flags=["python_workers", "python_workers_20260610", "disable_python_external_sdk"],
    )
    assert await (await rt.dispatch_fetch("http://localhost/")).json() == [True, False, True, False]


async def test_dispose_cancels_wait_until_work_that_never_ends(write_worker) -> None:
    logs: list[str] = []
    main = write_worker("""
        import asyncio
        from workers import Response, WorkerEntrypoint

        class Default(WorkerEntrypoint):
            async def fetch(self, request):
                self.ctx.waitUntil(asyncio.Event().wait())  # never set
                return Response("ok")
    """)
    rt = Runtime(main=main, in_memory=True, log=logs.append)
    await rt.ready
    assert (await rt.dispatch_fetch("http://localhost/")).status == 200
    rt.dispose_wait = 0
    await rt.dispose()
    assert any("cancelling 1 waitUntil() task(s)" in line for line in logs)


async def test_legacy_handlers_see_js_proxy_results(run_worker) -> None:
    rt = await run_worker(
        """
        from js import Response, JSON
        from pyodide.ffi import jsnull

        async def on_fetch(request, env):
            await env.KV.put("a", "1")
            listing = await env.KV.list()
            names = [k["name"] for k in listing.to_py()["keys"]]
            await env.DB.prepare("CREATE TABLE t (x)").run()
            await env.DB.prepare("INSERT INTO t (x) VALUES (?)").bind(jsnull).run()
            rows = await env.DB.prepare("SELECT x FROM t").all()
            return Response.new(JSON.stringify({"names": names, "rows": rows.results.to_py(),
                                                "direct": rows.results[0].x}))
        """,
        compatibility_date="2025-01-01",
        kv_namespaces={"KV": "kv"},
        d1_databases={"DB": "db"},
    )
    response = await rt.dispatch_fetch("http://localhost/")
    assert await response.json() == {"names": ["a"], "rows": [{"x": None}], "direct": None}
