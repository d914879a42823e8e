"""``Runtime``: the Miniflare analogue — a Python Worker, its bindings, and a way to send it events."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from flarebind.jsobject import JsObject, js_object
from flarebind.runtime import background as _background
from flarebind.runtime.compat import Compat, set_current_compat
from flarebind.runtime.durable_objects.testing import DurableObjectsRuntime
from flarebind.runtime.loader import LoadedWorker, WorkerLoadError, load_worker
from flarebind.runtime.options import binding_options, specs_from_options
from flarebind.runtime.sdk.calling import relaxed_call as _relaxed_call
from flarebind.runtime.sdk.context import ExecutionContext, WaitUntilTracker, current_ctx, current_env, current_outbound
from flarebind.runtime.sdk.request import JsRequest, Request
from flarebind.runtime.sdk.response import JsResponse, Response, as_js_response

# what a local request's ``request.cf`` holds (workerd fills it from the edge; locally a fixed, plausible sample)
LOCAL_CF = {
    "asn": 13335,
    "asOrganization": "Cloudflare",
    "colo": "LOCAL",
    "country": "US",
    "continent": "NA",
    "city": "San Francisco",
    "region": "California",
    "regionCode": "CA",
    "postalCode": "94107",
    "timezone": "America/Los_Angeles",
    "latitude": "37.78",
    "longitude": "-122.39",
    "httpProtocol": "HTTP/1.1",
    "tlsVersion": "TLSv1.3",
    "tlsCipher": "AEAD-AES128-GCM-SHA256",
    "clientTcpRtt": 0,
}

_CONTEXT_KEYS = {"persist_to", "in_memory", "compatibility_date", "compatibility_flags", "project_dir", "clock"}


def _stderr(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


class Runtime(DurableObjectsRuntime):
    """Run a Python Worker in this process with its bindings.

    ``Runtime(main="src/entry.py", kv_namespaces={"KV": {"id": "kv-id"}}, d1_databases={"DB": {"id": "db"}},
    r2_buckets={"B": {"bucket_name": "b"}}, vars={"GREETING": "hi"}, persist_to=".wrangler/state")``; a binding with
    ``"remote_proxy_connection_string"`` goes through that remote proxy session. ``await rt.ready`` loads the
    Worker; ``dispatch_fetch`` sends it a request; ``set_options`` rebuilds what changed (local state is kept);
    ``reload()`` re-imports edited code; ``dispose()`` (or ``async with``) releases everything.

    The per-type keywords are those the installed binding types declare (``BindingType.runtime_option``): a
    third-party type declaring ``runtime_option="feature_flags"`` makes ``Runtime(feature_flags={...})`` work.
    """

    def __init__(
        self,
        *,
        main: str | Path | None,
        bindings: dict[str, dict[str, Any]] | None = None,
        vars: dict[str, Any] | None = None,
        secrets: dict[str, str] | None = None,
        persist_to: str | Path | None = None,
        in_memory: bool = False,
        compatibility_date: str | None = None,
        compatibility_flags: list[str] | tuple[str, ...] = (),
        project_dir: str | Path | None = None,
        clock: Callable[[], float] | None = None,
        local: bool = False,
        error_bodies: bool = True,
        log: Callable[[str], None] | None = None,
        record: str | Path | None = None,
        replay: str | Path | None = None,
        queue_consumers: list[dict[str, Any]] | None = None,
        assets: dict[str, Any] | None = None,
        **binding_options_: Any,
    ) -> None:
        # the per-type keywords (kv_namespaces=, d1_databases=, r2_buckets=, …) are what installed binding types
        # declare as their runtime_option
        declared = binding_options()
        unknown = sorted(set(binding_options_) - set(declared))
        if unknown:
            raise TypeError(f"Runtime() got an unexpected keyword argument {unknown[0]!r}")
        self._binding_option_names = tuple(declared)
        self._options: dict[str, Any] = {
            "main": main,
            "bindings": bindings,
            **dict.fromkeys(declared),
            **binding_options_,
            "vars": vars,
            "secrets": secrets,
            "persist_to": persist_to,
            "in_memory": in_memory,
            "compatibility_date": compatibility_date,
            "compatibility_flags": tuple(compatibility_flags or ()),
            "project_dir": project_dir,
            "clock": clock,
            "local": local,
            "queue_consumers": queue_consumers,  # [{"queue": …, "max_batch_size": …}], as queues.consumers
            "assets": assets,  # wrangler's assets block: served in front of the Worker (flarebind.runtime.assets)
        }
        self._cassette = {"record": record, "replay": replay}  # remote calls to/from a cassette
        self.error_bodies = error_bodies
        self.log = log or _stderr
        self.config: Any = None  # set by from_config
        self._remote_details: Any = None
        self._remote_bindings: dict[str, dict[str, Any]] = {}
        self._ready: asyncio.Task[Runtime] | None = None
        self._ctx: Any = None
        # where this Worker's own fetch() goes (sdk.context.current_outbound); a Worker Loader's globalOutbound
        self.global_outbound: Any = None
        self._env: Any = None
        self._specs: dict[str, dict[str, Any]] = {}
        self._worker: LoadedWorker | None = None
        self.assets: Any = None  # an AssetServer when configured (asgi_app asks it before the Worker)
        self._tracker = WaitUntilTracker(report=lambda text: self.log(text))
        self._shims = False
        self._disposed = False
        self.generation = 0  # bumped on every successful (re)load
        # dev: a Worker that fails to load leaves the runtime up (requests get the error) until an edit fixes it
        self.tolerate_load_errors = False
        self.load_error: WorkerLoadError | None = None
        self.inspect = False  # dev --inspect: pdb post-mortem on an uncaught exception
        self.dispose_wait = 30.0  # seconds dispose() gives unfinished waitUntil work before cancelling it

    # -- construction ---------------------------------------------------------------------------------------------

    @classmethod
    def from_config(
        cls,
        path: str | Path | None = None,
        *,
        env: str | None = None,
        persist_to: str | Path | None = None,
        local: bool = False,
        in_memory: bool = False,
        vars: dict[str, Any] | None = None,
        allow_production_remote: bool = False,
        **kwargs: Any,
    ) -> Runtime:
        """A Runtime for a wrangler config: ``main``, compatibility, every binding (remote ones get a session)."""
        config = read_runtime_config(path, env, local=local, allow_production_remote=allow_production_remote)
        runtime = cls(
            **runtime_options_for(config, persist_to=persist_to, in_memory=in_memory, local=local, vars=vars), **kwargs
        )
        runtime.config = config
        return runtime

    @property
    def ready(self) -> asyncio.Task[Runtime]:
        """Awaitable: the Worker is loaded and its bindings are built (raises what went wrong)."""
        if self._ready is None:
            self._ready = asyncio.ensure_future(self._setup())
        return self._ready

    async def __aenter__(self) -> Runtime:
        await self.ready
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.dispose()

    @property
    def compat(self) -> Compat:
        return Compat.of(self._options["compatibility_date"], self._options["compatibility_flags"])

    @property
    def project_dir(self) -> Path:
        given = self._options["project_dir"]
        if given is not None:
            return Path(given).resolve()
        if self.config is not None:
            return Path(self.config.dir)
        return Path.cwd()

    @property
    def assets_only(self) -> bool:
        """No ``main``, only ``assets``: Cloudflare's assets-only Worker (every request goes to the asset server)."""
        return not self._options["main"] and bool(self._options["assets"])

    @property
    def main(self) -> Path:
        if self.assets_only:
            # no module: a stand-in path in the project folder (its stem names the Worker, its folder is watched)
            name = self.config.name if self.config is not None and self.config.name else "worker"
            return self.project_dir / name
        main = Path(self._options["main"])
        return main if main.is_absolute() else (self.project_dir / main)

    @property
    def worker(self) -> LoadedWorker | None:
        return self._worker

    async def _setup(self) -> Runtime:
        from flarebind.runtime.finder import install_shims
        from flarebind.runtime.sdk.ffi import set_runtime_loop

        install_shims()
        self._shims = True
        set_runtime_loop(asyncio.get_running_loop())
        try:
            self._ctx = self._new_context()
            self._specs = self._binding_specs()
            await self._route_remote(self._specs)
            self._env = self._build_env(self._specs, {})
            self.assets = self._build_assets()
            try:
                self._worker = None if self.assets_only else self._load()
            except WorkerLoadError as exc:
                if not self.tolerate_load_errors:
                    raise
                self.load_error = exc
            await _background.attach(self)  # workflows / queues engines (flarebind.runtime.background)
        except BaseException:
            await self._release()
            raise
        return self

    def _build_assets(self) -> Any:
        if not self._options["assets"]:
            return None
        from flarebind.config.diagnostics import ConfigError, Diagnostic
        from flarebind.runtime.assets import AssetsConfig, AssetsConfigError, AssetServer

        try:
            config = AssetsConfig.from_spec(
                self._options["assets"],
                self.project_dir,
                navigation_prefers_assets=self.compat.enabled("assets_navigation_prefers_asset_serving"),
                has_user_worker=not self.assets_only,
            )
        except AssetsConfigError as exc:  # reported like any config error (dev prints it and exits 1)
            path = self.config.path if self.config is not None else None
            raise ConfigError([Diagnostic("error", str(exc), path)], path) from None
        server = AssetServer(config)
        for warning in server.warnings:
            self.log(f"[flarebind:warn] {warning}")
        return server

    def _new_context(self) -> Any:
        from flarebind.bindings.context import LocalContext

        opts = self._options
        kwargs: dict[str, Any] = {
            "persist_to": Path(opts["persist_to"]).resolve() if opts["persist_to"] and not opts["in_memory"] else None,
            "in_memory": bool(opts["in_memory"]),
            "project_dir": self.project_dir,
            "compatibility_date": opts["compatibility_date"],
            "compatibility_flags": tuple(opts["compatibility_flags"]),
        }
        if opts["clock"] is not None:
            kwargs["clock"] = opts["clock"]
        return LocalContext(**kwargs)

    def _binding_specs(self) -> dict[str, dict[str, Any]]:
        opts = self._options
        return specs_from_options(
            bindings=opts["bindings"],
            vars=opts["vars"],
            secrets=opts["secrets"],
            **{k: opts[k] for k in self._binding_option_names},
        )

    async def _route_remote(self, specs: dict[str, dict[str, Any]]) -> None:
        """Route a config's remote bindings through one session (started on first need, updated when they change),
        marking their ``specs`` with its connection string."""
        if self.config is None or self._options["local"]:
            return
        from flarebind.bindings.convert import pick_remote_bindings

        # only bindings that need it go remote; nothing remote (httpx, auth) is touched otherwise
        remote = {
            n: {k: v for k, v in s.items() if k != "remote_proxy_connection_string"}
            for n, s in pick_remote_bindings(specs).items()
        }
        if not remote:
            return
        if self._remote_details is None:
            from flarebind.platform import start_remote_for

            self._remote_details = await start_remote_for(specs, self.config, **self._cassette)
            self._remote_bindings = remote
            return
        session = self._remote_details.session
        if remote != self._remote_bindings:
            await session.update_bindings(remote)
            self._remote_bindings = remote
        connection = str(session.remote_proxy_connection_string)
        for name in remote:
            specs[name] = {**specs[name], "remote_proxy_connection_string": connection}

    def _build_env(self, specs: dict[str, dict[str, Any]], keep: dict[str, Any]) -> Any:
        from flarebind.platform import Env, build_env

        fresh = {name: spec for name, spec in specs.items() if name not in keep}
        built = build_env(fresh, self._ctx, local=self._options["local"])
        values: dict[str, Any] = {}
        for name, spec in specs.items():
            value = keep[name] if name in keep else built[name]
            if spec.get("type") == "json":
                value = js_object(value)  # JSON vars: dict/list values that also allow attribute access
            values[name] = value
        return Env(values)

    def _load(self) -> LoadedWorker:
        set_current_compat(self.compat)
        token = current_env.set(self._env)
        try:
            worker = load_worker(self.main, self.compat, project_dir=self.project_dir)
        finally:
            current_env.reset(token)
        self.generation += 1
        self._worker = worker
        self._attach_durable_objects()  # Durable Objects restart with the new code
        return worker

    # -- public API -----------------------------------------------------------------------------------------------

    async def get_bindings(self) -> Any:
        """The ``env`` the Worker sees (bindings, vars, secrets)."""
        await self.ready
        return self._env

    def reload(self) -> None:
        """Re-import the Worker's code. On failure the previous version stays loaded and the error is raised."""
        if self.assets_only:
            return  # no code to import (asset files are looked up afresh on each request)
        old = self._worker
        if old is not None:
            old.unload()
        try:
            self._worker = self._load()
        except WorkerLoadError as exc:
            if old is not None:
                old.restore()
            else:
                self.load_error = exc
            raise
        self.load_error = None
        if old is not None and self._ctx is not None and _loop_running():
            # simulators drop what belonged to the previous code (browser sessions), in the background
            self._tracker.add(self._ctx.reloaded())

    def watched_files(self) -> dict[Path, list[str]]:
        """The files bindings read (``BindingType.path_fields``) -> the names of the bindings reading each."""
        from flarebind.plugins import get_plugins

        registry = get_plugins().registry
        files: dict[Path, list[str]] = {}
        for name, spec in self._specs.items():
            bt = registry.get_type(str(spec.get("type", "")))
            for field in bt.path_fields if bt is not None else ():
                value = spec.get(field)
                if isinstance(value, str) and value:
                    files.setdefault((self.project_dir / value).resolve(), []).append(name)
        return files

    async def rebuild_bindings(self, names: Any) -> None:
        """Build bindings ``names`` afresh (a file they read changed); every other binding keeps its object."""
        await self.ready
        fresh = set(names)
        keep = {n: self._env[n] for n in self._specs if n not in fresh and n in self._env}
        self._env = self._build_env(self._specs, keep)
        self.reload()

    async def set_options(self, **options: Any) -> None:
        """Change options (same names as the constructor). Unchanged bindings keep their objects and state."""
        await self.ready
        unknown = set(options) - set(self._options)
        if unknown:
            raise TypeError(f"set_options() got unexpected options: {', '.join(sorted(unknown))}")
        changed = {k for k, v in options.items() if self._options.get(k) != v}
        self._options.update(options)
        if "compatibility_flags" in options:
            self._options["compatibility_flags"] = tuple(options["compatibility_flags"] or ())
        if changed & _CONTEXT_KEYS:
            old_ctx = self._ctx
            self._ctx = self._new_context()
            keep: dict[str, Any] = {}
            await old_ctx.dispose()
        else:
            keep = {}
        new_specs = self._binding_specs()
        await self._route_remote(new_specs)  # marks remote specs with the session's connection string
        if not (changed & _CONTEXT_KEYS):
            keep = {n: self._env[n] for n, s in new_specs.items() if self._specs.get(n) == s and n in self._env}
        self._specs = new_specs
        self._env = self._build_env(new_specs, keep)
        if "assets" in changed:
            self.assets = self._build_assets()
        self.reload()
        await _background.attach(self)

    async def dispatch_fetch(
        self,
        url: Any = "http://localhost/",
        *,
        method: str = "GET",
        headers: Any = None,
        body: Any = None,
        cf: dict[str, Any] | None = None,
    ) -> Response:
        """Send one request to the Worker's fetch handler; returns a ``workers.Response``.

        An uncaught exception gives a 500 whose body is the traceback (and the traceback is logged).
        """
        await self.ready
        if isinstance(url, Request):
            request = url.js_object
        elif isinstance(url, JsRequest):
            request = url
        else:
            request = JsRequest(
                str(url), method=method, headers=headers, body=body, cf=JsObject(cf if cf is not None else LOCAL_CF)
            )
        return Response(await self.handle_fetch(request))

    async def handle_fetch(self, request: JsRequest, *, outbound: Any = None) -> JsResponse:
        """The JS-level entry used by the HTTP server: JS request in, JS response out. ``outbound`` routes the
        Worker's own ``fetch()`` for this request (a dispatch namespace's outbound Worker)."""
        worker = self._worker
        if worker is None and self.assets_only and self.assets is not None:
            # an assets-only Worker (a service binding's fetch, a WebSocket upgrade): the asset server answers
            from flarebind.runtime.assets.binding import AssetsBinding

            return await AssetsBinding("assets", self.assets).fetch(request)
        if worker is None:
            text = str(self.load_error or "the Worker is not loaded (await runtime.ready first)")
            return JsResponse(
                text if self.error_bodies else "Internal Server Error",
                status=500,
                headers={"content-type": "text/plain;charset=UTF-8"},
            )
        with self._invocation(outbound) as ctx:
            try:
                handler, legacy = self._find_handler(worker, "fetch", ctx)
                if not legacy:
                    # class handlers get None for env/ctx: they were given to the constructor
                    result = _relaxed_call(handler, (Request(request), None, None))
                    if inspect.isawaitable(result):
                        result = await result
                    if inspect.isawaitable(result):
                        close = getattr(result, "close", None)
                        if close is not None:
                            close()  # never awaited on purpose: no "was never awaited" warning on top of the error
                        raise TypeError(
                            "fetch() returned an awaitable: await it inside the handler (class handlers must "
                            "`return await …`)"
                        )
                else:
                    result = _relaxed_call(handler, (request, self._legacy_env(handler), ctx))
                    # legacy handlers may return an un-awaited fetch(); the runtime resolves it
                    while inspect.isawaitable(result):
                        result = await result
                return as_js_response(result)
            except Exception as exc:
                return self._error_response(exc, request)

    @contextlib.contextmanager
    def _invocation(self, outbound: Any = None) -> Iterator[ExecutionContext]:
        """One handler call: a fresh ``ctx``, and the env, ctx and outbound route visible to the SDK's context
        variables."""
        ctx = ExecutionContext(self._tracker)
        env_token = current_env.set(self._env)
        ctx_token = current_ctx.set(ctx)
        outbound_token = current_outbound.set(outbound or self.global_outbound)
        try:
            yield ctx
        finally:
            current_outbound.reset(outbound_token)
            current_ctx.reset(ctx_token)
            current_env.reset(env_token)

    def _find_handler(self, worker: LoadedWorker, name: str, ctx: Any) -> tuple[Any, bool]:
        """``(handler, legacy)``: the method of a new default-class instance, or the module-level function."""
        if worker.default_class is not None:
            instance = self._instantiate(worker.default_class, ctx)
            method = getattr(instance, name, None)
            if method is None:
                raise TypeError(f"Handler does not export a {name}() function.")
            return method, False
        fn = worker.legacy.get(name)
        if fn is None:
            raise TypeError(f"Handler does not export a {name}() function.")
        return fn, True

    async def _run_event_handler(self, worker: LoadedWorker, name: str, event: Any, ctx: Any) -> None:
        """Call the ``scheduled`` / ``queue`` handler with ``event``, then wait for its ``waitUntil`` work."""
        handler, legacy = self._find_handler(worker, name, ctx)
        if legacy:
            result = _relaxed_call(handler, (event, self._legacy_env(handler), ctx))
        else:
            result = handler(event, None, None)  # strict: (event, env, ctx), env/ctx None
        while inspect.isawaitable(result):
            result = await result
        await self._tracker.drain()

    def _log_uncaught(self, exc: BaseException, where: str) -> str:
        text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        self.log(f"✘ [ERROR] Uncaught exception in {where}:\n{text}")
        return text

    def _legacy_env(self, fn: Any) -> Any:
        """Legacy handlers see the raw JS env (results with ``to_py()``); ``@handler`` ones get the SDK's."""
        if getattr(fn, "_flarebind_handler", False):
            return self._env
        from flarebind.runtime.sdk.legacy import LegacyEnv

        return LegacyEnv(self._env)

    def _instantiate(self, cls: Any, ctx: Any, env: Any = None) -> Any:
        env = self._env if env is None else env
        instance = cls.__new__(cls)
        # set before __init__ so subclasses that skip super().__init__ still have self.env / self.ctx
        instance.ctx = ctx
        instance.env = env
        instance.__init__(ctx, env)
        return instance

    def _error_response(self, exc: BaseException, request: JsRequest) -> JsResponse:
        text = self._log_uncaught(exc, f"fetch handler ({request.method} {request.url})")
        if self.inspect:
            import pdb

            pdb.post_mortem(exc.__traceback__)
        body = text if self.error_bodies else "Internal Server Error"
        return JsResponse(body, status=500, headers={"content-type": "text/plain;charset=UTF-8"})

    async def dispatch_scheduled(self, cron: str = "", scheduled_time: float | None = None) -> str:
        """Run the scheduled handler; returns ``"ok"`` or ``"exception"`` (Miniflare's outcome)."""
        await self.ready
        worker = self._worker
        assert worker is not None
        ms = int(scheduled_time if scheduled_time is not None else time.time() * 1000)
        controller = JsObject(scheduledTime=ms, cron=cron, type="scheduled")
        controller.noRetry = lambda: None
        with self._invocation() as ctx:
            try:
                await self._run_event_handler(worker, "scheduled", controller, ctx)
                return "ok"
            except Exception as exc:
                self._log_uncaught(exc, "scheduled handler")
                return "exception"

    async def dispatch_queue(self, queue: str, messages: list[Any], *, attempts: int = 1) -> JsObject:
        """Deliver one batch (message bodies) to the queue handler now, outside any broker; returns the outcome
        (``"ok"`` / ``"exception"``) and the ids acknowledged and retried (flarebind.runtime.queues.consumer)."""
        from flarebind.runtime.queues.consumer import dispatch_bodies

        await self.ready
        return await dispatch_bodies(self, queue, messages, attempts=attempts)

    async def wait_until_settled(self) -> None:
        """Wait for every ``ctx.waitUntil`` task started so far (tests use this instead of sleeping)."""
        await self._tracker.drain()

    @property
    def wait_until_failures(self) -> list[BaseException]:
        return list(self._tracker.failures)

    async def dispose(self) -> None:
        if self._disposed:
            return
        self._disposed = True
        if self._ready is not None and not self._ready.done():
            try:
                await self._ready
            except BaseException:
                pass
        await self._tracker.drain(timeout=self.dispose_wait)
        await self._release()

    async def _release(self) -> None:
        from flarebind.runtime.finder import uninstall_shims

        await _background.detach(self)
        if self._worker is not None:
            self._worker.unload()
            self._worker = None
        if self._ctx is not None:
            await self._ctx.dispose()
            self._ctx = None
        if self._remote_details is not None:
            await self._remote_details.session.dispose()
            self._remote_details = None
        if self._shims:
            uninstall_shims()
            self._shims = False


def read_runtime_config(
    path: str | Path | None, env: str | None, *, local: bool = False, allow_production_remote: bool = False
) -> Any:
    """Read a config for running its Worker: errors (and the production guard, unless local) raise ConfigError."""
    from flarebind.config.diagnostics import ConfigError
    from flarebind.config.read import load_config

    config, diagnostics = load_config(path, env)
    errors = [d for d in diagnostics if d.is_error]
    if config is None or errors:
        raise ConfigError(errors or diagnostics, config.path if config else None)
    refusal = config.production_refusal(local=local, allow=allow_production_remote)
    if refusal:
        raise ConfigError(refusal, config.path)
    return config


def runtime_options_for(
    config: Any,
    *,
    persist_to: str | Path | None = None,
    in_memory: bool = False,
    local: bool = False,
    vars: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Constructor options for ``config``: main, compatibility, bindings (vars overridden by ``vars``)."""
    from flarebind.bindings.context import default_state_dir
    from flarebind.bindings.convert import convert_config_bindings_to_start_worker_bindings

    if not config.main and not config.flat.get("assets"):
        raise WorkerLoadError(
            f'{config.path.name} has no "main": set it to your Worker\'s entry module, e.g. main = "src/entry.py".'
        )
    specs = convert_config_bindings_to_start_worker_bindings(config)
    from flarebind.runtime.durable_objects.migrations import annotate_specs

    annotate_specs(specs, config)  # Durable Objects: worker name and SQL-enabled classes from [[migrations]]
    for name, value in (vars or {}).items():
        specs[name] = {"type": "plain_text" if isinstance(value, str) else "json", "value": value}
    return {
        "main": str((config.dir / config.main).resolve()) if config.main else None,
        "bindings": specs,
        "persist_to": persist_to if persist_to is not None else (None if in_memory else default_state_dir(config.dir)),
        "in_memory": in_memory,
        "compatibility_date": config.compatibility_date,
        "compatibility_flags": tuple(config.compatibility_flags),
        "project_dir": config.dir,
        "local": local,
        "assets": config.flat.get("assets"),
    }


def _loop_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True
